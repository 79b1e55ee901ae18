"""``vectorstore doctor``: healthy stores pass, really damaged Chroma collections are found (the host stays alive),
``--repair`` restores them, and the verdicts are what ``--json`` prints.

Real backends: Qdrant Edge, qdrant-client local and Chroma on disk; Chroma is damaged by editing its files while the
store is closed (:mod:`.damage`). The ``flaky`` double (:mod:`.flaky_adapter`) stands in for a backend that can
repair, and for failures on demand.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import vectorstore
from vectorstore import doctor
from vectorstore.cli import app

from . import damage
from .conftest import fill
from .flaky_adapter import write_faults

CHECKS = ["get_collection", "count", "sample_get", "self_query", "filtered_count", "filtered_query"]
needs_chroma = pytest.mark.skipif(importlib.util.find_spec("vectorstore_chroma") is None, reason="no chroma adapter")
needs_qdrant = pytest.mark.skipif(importlib.util.find_spec("vectorstore_qdrant") is None, reason="no qdrant adapter")


def run_doctor(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, ["doctor", *args, "--json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {item["collection"]: item["status"] for item in report["collections"]}


def failed(report: dict[str, Any], collection: str) -> dict[str, str]:
    item = next(c for c in report["collections"] if c["collection"] == collection)
    return {check["name"]: check["error"] for check in item["checks"] if not check["ok"]}


def test_a_healthy_memory_store_passes_every_check() -> None:
    with vectorstore.open("memory://", isolation="process") as store:
        store.create_collection("docs", 3)
        store.upsert("docs", ["a", "b", "c"], [[1, 0, 0], [0, 1, 0], [0, 0, 1]], metadatas=[{"k": 1}, {"k": 2}, {}])
        store.create_collection("empty", 3, "l2")
        report = doctor.check_store(store, deep=True)
    assert report.ok
    docs, empty = report.collections
    assert (docs.status, docs.count, [c.name for c in docs.checks]) == ("healthy", 3, [*CHECKS, "full_scan"])
    assert (empty.status, empty.count, [c.name for c in empty.checks]) == (
        "healthy", 0, ["get_collection", "count", "sample_get", "full_scan"]
    )


@pytest.mark.parametrize(
    "scheme", [pytest.param("qdrant", marks=needs_qdrant), pytest.param("qdrant+local", marks=needs_qdrant),
               pytest.param("chroma", marks=needs_chroma)],
)
def test_healthy_persistent_stores_exit_0_with_every_verdict_in_json(scheme: str, tmp_path: Path) -> None:
    url = f"{scheme}://{tmp_path}/store"
    fill(url, "docs", 1200)
    fill(url, "more", 10, seed=1)
    code, report = run_doctor(url, "--deep")
    assert code == 0
    assert set(report) == {"url", "collections", "repairs", "error", "seconds", "ok"}
    assert report["ok"] is True and report["error"] is None and report["repairs"] == []
    assert verdicts(report) == {"docs": "healthy", "more": "healthy"}
    docs = report["collections"][0]
    assert docs["count"] == 1200
    expected = [*CHECKS, "full_scan"]
    if scheme == "chroma":  # the adapter's own file checks come right after the collection is found
        expected.insert(1, "hnsw files")
    assert [(c["name"], c["ok"], c["error"]) for c in docs["checks"]] == [(n, True, None) for n in expected]


def test_a_missing_store_path_is_an_error_not_a_new_empty_store(tmp_path: Path) -> None:
    code, report = run_doctor(f"flaky://{tmp_path}/nothing-here")
    assert code == 1
    assert "there is no store at" in report["error"] and not (tmp_path / "nothing-here").exists()


@needs_chroma
def test_a_truncated_hnsw_index_is_damaged_with_the_native_error(tmp_path: Path) -> None:
    url = f"chroma://{tmp_path}/c"
    fill(url, "docs", 3000)
    damage.truncate_index_metadata(tmp_path / "c")
    code, report = run_doctor(url)
    assert code == 1 and report["ok"] is False
    assert verdicts(report) == {"docs": "damaged"}
    errors = failed(report, "docs")
    assert set(errors) == {"hnsw files", "count", "sample_get"}  # get_collection still answers from sqlite
    assert "index_metadata.pickle" in errors["hnsw files"]  # found by reading the files, before any Chroma call
    assert "Error deserializing pickle file" in errors["count"] and "BackendError" in errors["count"]
    assert report["collections"][0]["count"] is None
    table = CliRunner().invoke(app, ["doctor", url])
    assert table.exit_code == 1 and "damaged" in table.stdout and "doctor --repair" in table.stdout


@needs_chroma
def test_a_query_that_segfaults_chroma_is_a_damaged_verdict_naming_the_signal(tmp_path: Path) -> None:
    url = f"chroma://{tmp_path}/c"
    fill(url, "docs", 3000)
    damage.garble_elements(tmp_path / "c", range(0, 3000), 3000, links_only=True)
    code, report = run_doctor(url)
    assert code == 1
    assert verdicts(report) == {"docs": "damaged"}
    errors = failed(report, "docs")
    assert list(errors) == ["self_query"]
    assert "WorkerCrashed" in errors["self_query"] and "SIGSEGV" in errors["self_query"]
    with vectorstore.open(url) as store:  # the host lived through it, and the store still opens
        assert store.count("docs") == 3000


def test_a_damaged_collection_does_not_taint_the_others(tmp_path: Path) -> None:
    url = f"flaky://{tmp_path}"
    fill(url, "good", 20)
    fill(url, "bad", 20, seed=1)
    write_faults(tmp_path, damaged={"bad": "segment reader: EOF while parsing"})
    code, report = run_doctor(url)
    assert code == 1
    assert verdicts(report) == {"bad": "damaged", "good": "healthy"}
    assert failed(report, "bad") == {
        name: "BackendError: flaky read failed on collection 'bad': segment reader: EOF while parsing"
        for name in ("count", "sample_get")
    }


def test_a_collection_quarantined_by_its_crashes_is_a_quarantined_verdict(tmp_path: Path) -> None:
    fill(f"flaky://{tmp_path}", "docs", 5)
    write_faults(tmp_path, crash={"docs": ["r-0"]})
    with vectorstore.open(f"flaky://{tmp_path}", isolation="process", circuit_failures=1, circuit_cooldown_s=600) as store:
        with pytest.raises(vectorstore.errors.WorkerCrashed):
            store.get("docs", ["r-0"])
        report = doctor.check_store(store, ["docs"])  # the crash was the collection's: it is quarantined
    assert [(c.collection, c.status) for c in report.collections] == [("docs", "quarantined")]
    assert not report.ok and "CollectionQuarantined" in (report.collections[0].checks[0].error or "")


def test_repair_through_an_adapter_that_cannot_repair_says_so(tmp_path: Path) -> None:
    url = f"flaky://{tmp_path}?repairable=false"
    fill(url, "docs", 5)
    write_faults(tmp_path, damaged={"docs": "broken"})
    code, report = run_doctor(url, "--repair")
    assert code == 1
    (outcome,) = report["repairs"]
    assert outcome["collection"] == "docs" and outcome["ok"] is False and outcome["report"] is None
    assert outcome["error"].startswith("cannot repair: ") and "migrate --salvage" in outcome["error"]


def test_repair_restores_a_damaged_collection_and_checks_it_again(tmp_path: Path) -> None:
    url = f"flaky://{tmp_path}"
    fill(url, "docs", 30)
    write_faults(tmp_path, damaged={"docs": "broken"})
    code, report = run_doctor(url, "--repair")
    assert code == 0 and report["ok"] is True
    assert verdicts(report) == {"docs": "damaged"}  # the verdict before the repair
    (outcome,) = report["repairs"]
    assert outcome["report"]["restored"] == outcome["report"]["expected"] == 30
    assert outcome["after"]["status"] == "healthy" and outcome["ok"] is True
    assert run_doctor(url)[0] == 0


def test_an_incomplete_repair_names_the_missing_ids_and_exits_1(tmp_path: Path) -> None:
    url = f"flaky://{tmp_path}"
    fill(url, "docs", 30)
    write_faults(tmp_path, damaged={"docs": "broken"}, lost={"docs": ["r-3", "r-7"]})
    code, report = run_doctor(url, "--repair")  # would lose two ids: left as it is, for salvage
    assert code == 1
    (outcome,) = report["repairs"]
    assert outcome["report"]["missing_ids"] == ["r-3", "r-7"] and not outcome["report"]["replaced"]
    assert outcome["report"]["restored"] == 0 and outcome["after"]["status"] == "damaged"
    table = CliRunner().invoke(app, ["doctor", url, "--repair"])
    assert "not replaced" in table.stdout and "--force" in table.stdout and "r-3, r-7" in table.stdout
    code, report = run_doctor(url, "--repair", "--force")
    assert code == 1
    (outcome,) = report["repairs"]
    assert outcome["report"]["missing_ids"] == ["r-3", "r-7"] and outcome["report"]["restored"] == 28
    assert outcome["after"]["status"] == "healthy" and outcome["ok"] is False


@needs_chroma
def test_repair_restores_every_record_of_a_chroma_collection_with_a_truncated_index(tmp_path: Path) -> None:
    url = f"chroma://{tmp_path}/c"
    ids, vectors, metadatas = fill(url, "docs", 3000)
    damage.truncate_index_metadata(tmp_path / "c")
    code, report = run_doctor(url, "--repair")
    assert code == 0, report
    (outcome,) = report["repairs"]
    assert (outcome["report"]["expected"], outcome["report"]["restored"], outcome["report"]["missing_ids"]) == (
        3000, 3000, []
    )
    assert outcome["after"]["status"] == "healthy"
    with vectorstore.open(url) as store:  # checked record by record from outside, against what was written
        got = store.get("docs", ids, include=["vector", "metadata"])
    assert [record.id for record in got] == ids
    np.testing.assert_allclose(np.array([record.vector for record in got]), vectors, rtol=1e-6, atol=1e-6)
    assert [record.metadata for record in got] == metadatas
