"""``migrate --salvage``: every readable record copied and equal in the target, exactly the unreadable ids listed.

Sources: the ``flaky`` double (reads that fail, and reads that abort the isolated worker, for chosen ids) and a real
Chroma store whose ``data_level0.bin`` has some elements garbled, which makes some ids unreadable.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import vectorstore
from vectorstore.cli import app
from vectorstore.errors import BackendError
from vectorstore.migration import migrate

from . import damage
from .conftest import Records, fill
from .flaky_adapter import write_faults


def assert_copied(target_url: str, written: Records, unreadable: set[str]) -> None:
    """The target holds exactly the readable records, equal to what was written."""
    ids, vectors, metadatas = written
    keep = [position for position, record_id in enumerate(ids) if record_id not in unreadable]
    with vectorstore.open(target_url) as target:
        assert target.count("docs") == len(keep)
        got = target.get("docs", [ids[p] for p in keep], include=["vector", "metadata"])
    assert [record.id for record in got] == [ids[p] for p in keep]
    np.testing.assert_allclose(np.array([r.vector for r in got]), vectors[keep], rtol=1e-6, atol=1e-6)
    assert [record.metadata for record in got] == [metadatas[p] for p in keep]


def test_salvage_bisects_failing_and_crashing_reads_down_to_the_unreadable_ids(tmp_path: Path) -> None:
    source = f"flaky://{tmp_path}/source"
    written = fill(source, "docs", 700)
    unreadable = {"r-5", "r-6", "r-333", "r-699"}
    crashing = {"r-100", "r-512"}  # these abort the source's worker (SIGABRT) whenever a get touches them
    write_faults(tmp_path / "source", unreadable={"docs": sorted(unreadable)}, crash={"docs": sorted(crashing)})
    target = f"flaky://{tmp_path}/target"
    report = migrate(
        f"{source}?isolation=process", target, ["docs"], batch_size=128, checkpoint_dir=tmp_path / "checkpoints",
        salvage=True,
    )
    (item,) = report.collections
    assert not report.ok and item.error is None
    assert item.salvage is not None and item.salvage.listed == 700
    assert sorted(item.salvage.unreadable_ids) == sorted(unreadable | crashing)
    assert len(item.salvage.unreadable_ids) == len(set(item.salvage.unreadable_ids))
    assert {p.id for p in item.salvage.errors} == unreadable | crashing
    assert all("SIGABRT" in p.detail for p in item.salvage.errors if p.id in crashing)
    assert (item.salvage.copied, item.salvage.target_count) == (694, 694)
    assert item.verify is None and item.checkpoint is not None  # not verified against an unreadable source
    assert_copied(target, written, unreadable | crashing)


def test_the_cli_exits_1_and_the_reports_list_every_unreadable_id(tmp_path: Path) -> None:
    source = f"flaky://{tmp_path}/source"
    written = fill(source, "docs", 50)
    write_faults(tmp_path / "source", unreadable={"docs": ["r-7", "r-44"]})
    target = f"flaky://{tmp_path}/target"
    result = CliRunner().invoke(app, [
        "migrate", source, target, "--all", "--salvage", "--batch-size", "16", "--report", str(tmp_path / "report"),
        "--checkpoint-dir", str(tmp_path / "checkpoints"),
    ])
    assert result.exit_code == 1, result.output
    assert "2 of 50 records unreadable" in result.stdout
    saved = json.loads((tmp_path / "report" / "report.json").read_text())
    assert saved["ok"] is False
    assert saved["collections"][0]["salvage"]["unreadable_ids"] == ["r-7", "r-44"]
    html = (tmp_path / "report" / "report.html").read_text()
    assert "<h3>Salvage</h3>" in html and "r-44" in html
    assert_copied(target, written, {"r-7", "r-44"})


def test_a_fully_readable_source_is_salvaged_verified_and_passes(tmp_path: Path) -> None:
    source = f"flaky://{tmp_path}/source"
    written = fill(source, "docs", 40)
    target = f"flaky://{tmp_path}/target"
    report = migrate(source, target, ["docs"], batch_size=16, checkpoint_dir=tmp_path / "c", salvage=True, trial_queries=5)
    (item,) = report.collections
    assert report.ok and item.salvage is not None and item.salvage.unreadable_ids == []
    assert item.verify is not None and item.verify.ok and item.checkpoint is None
    assert_copied(target, written, set())


def test_a_source_that_cannot_list_its_ids_says_so_and_copies_nothing(tmp_path: Path) -> None:
    source = f"flaky://{tmp_path}/source"
    fill(source, "docs", 10)
    write_faults(tmp_path / "source", damaged={"docs": "index unreadable"})
    report = migrate(source, f"flaky://{tmp_path}/target", ["docs"], checkpoint_dir=tmp_path / "c", salvage=True)
    (item,) = report.collections
    assert not report.ok
    assert item.error is not None and "cannot list its ids" in item.error and "index unreadable" in item.error
    with vectorstore.open(f"flaky://{tmp_path}/target") as target:
        assert target.list_collections() == []


@pytest.mark.skipif(importlib.util.find_spec("vectorstore_chroma") is None, reason="no chroma adapter")
def test_a_partly_garbled_chroma_index_is_salvaged_except_its_unreadable_ids(tmp_path: Path) -> None:
    source = f"chroma://{tmp_path}/c"
    written = fill(source, "docs", 3000)
    damage.garble_elements(tmp_path / "c", range(100, 110), 3000)
    with vectorstore.open(source) as store:  # the truth, by reading each id alone (independent of the bisection)
        unreadable = set()
        for record_id in written[0]:
            try:
                store.get("docs", [record_id], include=["vector"])
            except BackendError:
                unreadable.add(record_id)
    assert 0 < len(unreadable) < 100
    target = f"qdrant://{tmp_path}/q" if importlib.util.find_spec("vectorstore_qdrant") else f"flaky://{tmp_path}/t"
    report = migrate(source, target, ["docs"], batch_size=500, checkpoint_dir=tmp_path / "k", salvage=True)
    (item,) = report.collections
    assert not report.ok and item.salvage is not None
    assert sorted(item.salvage.unreadable_ids) == sorted(unreadable)
    assert_copied(target, written, unreadable)
