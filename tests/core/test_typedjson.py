"""Datetime and date metadata survive JSON: in records files (``vectorstore ingest``), in the CLI's ``--where`` and
in the shadow journal, spelled ``{"$datetime": iso}`` / ``{"$date": iso}`` (vectorstore.typedjson)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from vectorstore import typedjson
from vectorstore.errors import InvalidInput
from vectorstore.io import read_records

from .test_cli import invoke, pickled_in_process, write_jsonl  # noqa: F401 - pickled_in_process is a fixture

UTC = dt.timezone.utc
WHEN = [
    dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),
    dt.datetime(2024, 5, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))),
]


def test_round_trip_keeps_every_kind_apart() -> None:
    value = {
        "t": WHEN[0], "d": dt.date(2024, 5, 1), "n": [1, 1.0, True, None, "2024-05-01"], "o": {"$datetime": 1, "x": 2}
    }
    text = typedjson.dumps(value)
    back = typedjson.loads(text)
    assert back == value
    assert [type(item) for item in back["n"]] == [int, float, bool, type(None), str]
    assert type(back["t"]) is dt.datetime and back["t"].tzinfo == UTC and type(back["d"]) is dt.date
    assert json.loads(text)["t"] == {"$datetime": "2024-05-01T12:00:00.123456+00:00"}  # the documented spelling


def test_a_value_json_cannot_spell_is_refused() -> None:
    with pytest.raises(TypeError, match="set values cannot be written as JSON"):
        typedjson.dumps({"s": {1}})


def _rows(when: list[object]) -> list[dict[str, object]]:
    return [{"id": f"r{i}", "embedding": [1.0, float(i)], "metadata": {"t": w}} for i, w in enumerate(when)]


def test_a_records_file_carries_datetimes_and_dates(tmp_path: Path) -> None:
    rows = _rows([{"$datetime": WHEN[0].isoformat()}, {"$datetime": WHEN[1].isoformat()}, {"$date": "2024-05-03"}])
    batch = read_records(write_jsonl(tmp_path / "rows.jsonl", rows), "docs")
    assert batch.metadatas == [{"t": WHEN[0]}, {"t": WHEN[1]}, {"t": dt.date(2024, 5, 3)}]


def test_a_malformed_time_names_the_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "rows.jsonl", _rows([{"$datetime": WHEN[0].isoformat()}, {"$datetime": "May 1st"}]))
    with pytest.raises(InvalidInput, match=r"rows\.jsonl:2: Invalid isoformat string: 'May 1st'"):
        read_records(path, "docs")


def test_ingest_then_count_with_a_datetime_range(pickled_in_process: Path) -> None:  # noqa: F811
    url = f"pickled://{pickled_in_process / 'store.pkl'}"
    times = [WHEN[0] + dt.timedelta(days=day) for day in range(6)]
    path = write_jsonl(pickled_in_process / "rows.jsonl", _rows([{"$datetime": t.isoformat()} for t in times]))
    assert invoke(["ingest", str(path), "--url", url, "-c", "docs"]).code == 0
    since = {"t": {"$gte": {"$datetime": times[2].isoformat()}}}
    result = invoke(["count", "--url", url, "-c", "docs", "--where", json.dumps(since)])
    assert (result.code, result.out.strip()) == (0, "4")
    result = invoke(["count", "--url", url, "-c", "docs", "--where", '{"t": {"$gte": {"$datetime": "soon"}}}'])
    assert result.code == 2 and "--where: Invalid isoformat string: 'soon'" in result.err, result.err
