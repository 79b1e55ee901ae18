"""Status, cutover and rollback through the command line; data equal on both sides at every step."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

import vectorstore
from vectorstore.cli import app

from .conftest import DIMENSION, DRAIN_S, Pair, assert_same, contents, records

runner = CliRunner()


def _equal(pair: Pair) -> None:
    assert_same(contents(pair.primary, "docs"), contents(pair.shadow, "docs"))


def test_status_cutover_and_rollback_round_trip(pair: Pair, tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    config = pair.toml(mirror_fraction=1.0)
    original = config.read_text(encoding="utf-8")
    with vectorstore.open(config={"url": pair.primary}) as plain:  # data from before shadowing: not backfilled
        plain.create_collection("docs", DIMENSION)
        plain.upsert("docs", **records(0, 200, rng))
    table = {"url": pair.primary, "shadow": {"url": pair.shadow, "journal": str(pair.journal), "mirror_fraction": 1.0}}
    with vectorstore.open(config=table) as store:
        store.upsert("docs", **records(150, 100, rng))
        assert store.wait_caught_up(DRAIN_S)
        store.applier._listed = 0.0  # publish the collections now rather than within 5 s
        store.applier._published = 0.0
        store.applier._publish()
        status = runner.invoke(app, ["shadow", "status", "--config", str(config)])
        assert status.exit_code == 1 and "not backfilled yet: docs" in status.output
        assert store.backfill(["docs"], DRAIN_S)
        store.search("docs", rng.normal(size=DIMENSION), 5)
        assert store.mirror is not None and store.mirror.drain(DRAIN_S)
        store.applier._published = 0.0
        store.applier._publish()
        status = runner.invoke(app, ["shadow", "status", "--config", str(config), "--json"])
        assert status.exit_code == 0, status.output
        assert json.loads(status.output)["ready"] is True
        report = runner.invoke(app, ["shadow", "report", str(tmp_path / "live"), "--config", str(config)])
        assert report.exit_code == 0, report.output
    page = (tmp_path / "live" / "report.html").read_text(encoding="utf-8")
    assert "Over time" in page and "<polyline" in page and "<script" not in page
    data = json.loads((tmp_path / "live" / "report.json").read_text(encoding="utf-8"))
    assert data["command"] == "trial" and data["collections"][0]["trial"]["slices"][0]["queries"] == 1
    assert data["live"]["windows"][0]["queries"] == 1
    _equal(pair)

    # A difference on the shadow (written around the journal) makes cutover refuse, and the file stays as it was.
    with vectorstore.open(pair.shadow) as shadow:
        shadow.upsert("docs", **records(5000, 1, rng))
    refused = runner.invoke(app, ["cutover", "--config", str(config)])
    assert refused.exit_code == 1 and "cutover refused" in refused.output
    assert config.read_text(encoding="utf-8") == original
    with vectorstore.open(pair.shadow) as shadow:
        shadow.delete("docs", ids=["r5000"])

    swapped = runner.invoke(app, ["cutover", "--config", str(config)])
    assert swapped.exit_code == 0, swapped.output
    text = config.read_text(encoding="utf-8")
    assert text.index(pair.shadow) < text.index(pair.primary) and "# where it moves to" in text
    _equal(pair)
    with vectorstore.open(config=_table(config)) as store:  # qdrant is the primary now, chroma follows
        assert store.primary_url.startswith("qdrant")
        store.upsert("docs", **records(400, 50, rng, tag="-after"))
        store.delete("docs", ids=["r0", "r1"])
        assert store.wait_caught_up(DRAIN_S)
    _equal(pair)
    rolled_back = runner.invoke(app, ["cutover", "--config", str(config)])
    assert rolled_back.exit_code == 0, rolled_back.output
    assert config.read_text(encoding="utf-8") == original
    _equal(pair)
    assert "r0" not in contents(pair.primary, "docs") and contents(pair.primary, "docs")["r401"][1] == "doc 401-after"


def _table(path: Path) -> dict:
    import tomllib

    return tomllib.loads(path.read_text(encoding="utf-8"))["vectorstore"]
