"""``vectorstore create --index``, ``vectorstore indexes`` and ``ingest --index`` on the pickled memory store."""

from __future__ import annotations

from pathlib import Path

from .test_cli import invoke, pickled_in_process, rows, write_jsonl  # noqa: F401  (the fixture)


def test_create_with_indexes_then_list_and_add(pickled_in_process: Path) -> None:  # noqa: F811
    url = f"pickled://{pickled_in_process / 'store.pkl'}"
    created = invoke(["create", "docs", "-d", "3", "--index", "year:integer", "--index", "lang:keyword", "--url", url])
    assert created.code == 0, created.err
    assert "indexes: lang:keyword, year:integer" in created.out
    more = invoke(["indexes", "-c", "docs", "--index", "draft:bool", "--url", url])
    assert more.code == 0, more.err
    assert "draft:bool, lang:keyword, year:integer" in more.out
    assert "declarations are recorded" in more.out  # memory has no payload indexes


def test_bad_index_options_are_refused_before_anything_is_written(pickled_in_process: Path) -> None:  # noqa: F811
    url = f"pickled://{pickled_in_process / 'store.pkl'}"
    bad_kind = invoke(["create", "docs", "-d", "3", "--index", "year:int", "--url", url])
    assert bad_kind.code == 1 and "'keyword', 'integer', 'float', 'bool'" in bad_kind.err
    no_colon = invoke(["create", "docs", "-d", "3", "--index", "year", "--url", url])
    assert no_colon.code == 2 and "KEY:KIND" in no_colon.err
    assert "docs" not in invoke(["collections", "--url", url]).out


def test_ingest_declares_indexes_on_a_new_and_an_existing_collection(pickled_in_process: Path) -> None:  # noqa: F811
    url = f"pickled://{pickled_in_process / 'store.pkl'}"
    path = write_jsonl(pickled_in_process / "rows.jsonl", rows())
    assert invoke(["ingest", str(path), "--url", url, "--metric", "l2", "--index", "year:integer"]).code == 0
    again = invoke(["ingest", str(path), "--url", url, "--index", "draft:bool"])  # existing l2 collection
    assert again.code == 0, again.err
    assert "draft:bool, year:integer" in invoke(["indexes", "--url", url]).out
