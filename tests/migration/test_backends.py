"""Real backends: Chroma (isolated, the default) -> Qdrant (Edge and local mode), memory -> each, through the CLI
in real subprocesses where persistence matters (SIGKILL and resume) and through the API where it does not.

Chroma answers with HNSW (approximate), so a trial against it is checked for *honest* reporting: the overlap the
test computes itself from both stores' answers. Exact pairs are checked against numpy.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import vectorstore
from typer.testing import CliRunner

from vectorstore.cli import app
from vectorstore.migration import migrate

from .conftest import Corpus, assert_holds, make_corpus, needs_chroma, needs_qdrant

pytestmark = [needs_chroma, needs_qdrant]

N = 2000
SMALL = 250  # for qdrant-client's local mode, which is pure Python and slow to write
DIM = 24
CLI = [str(Path(sys.executable).with_name("vectorstore"))]


def run(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return make_corpus(N, DIM, seed=1)


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory, corpus: Corpus) -> str:
    """A persistent Chroma store holding the corpus, written through the default (isolated) adapter and closed."""
    url = f"chroma://{tmp_path_factory.mktemp('chroma')}"
    with vectorstore.open(url) as store:
        corpus.load(store, "docs", "cosine")
        small(corpus).load(store, "small", "l2")
    return url


def small(corpus: Corpus, n: int = SMALL) -> Corpus:
    return Corpus(corpus.ids[:n], corpus.vectors[:n], corpus.documents[:n], corpus.metadatas[:n])


def report_of(directory: Path) -> dict:
    return json.loads((directory / "report.json").read_text())


@pytest.fixture(scope="module")
def migrated(chroma: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, subprocess.CompletedProcess[str]]:
    """``vectorstore migrate`` Chroma (isolated) -> Qdrant's embedded engine, run once for the module."""
    work = tmp_path_factory.mktemp("migrated")
    target = f"qdrant://{work / 'qdrant'}"
    done = run("migrate", chroma, target, "-c", "docs", "--report", "r", "--trial-queries", "30",
               "--where", '{"b": true}', cwd=work)
    return target, work, done


def test_cli_chroma_to_qdrant_edge(chroma: str, corpus: Corpus, migrated: tuple[str, Path, subprocess.CompletedProcess[str]]) -> None:
    target, work, done = migrated
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verified" in done.stdout and "report: " in done.stdout
    data = report_of(work / "r")
    item = data["collections"][0]
    assert data["ok"] and item["verify"]["ok"] and item["verify"]["sampled"] == 1000
    assert item["copy_result"]["copied"] == N and item["checkpoint"] is None
    assert [s["where"] for s in item["trial"]["slices"]] == [None, {"b": True}]
    assert not list((work / ".vectorstore" / "migrations").glob("*.sqlite")), "checkpoint removed"
    with vectorstore.open(target) as store:
        assert_holds(store, "docs", corpus)
        info = store.get_collection("docs")
        assert (info.dimension, info.metric) == (DIM, "cosine")
    checked = run("verify", chroma, target, "-c", "docs", "--sample", str(N), cwd=work)
    assert checked.returncode == 0 and f"{N:,} compared" in checked.stdout, checked.stdout + checked.stderr


def test_cli_trial_on_an_approximate_pair_is_honest(
    chroma: str, corpus: Corpus, migrated: tuple[str, Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    target = migrated[0]
    queries = np.random.default_rng(5).normal(size=(40, DIM)).astype(np.float32)
    file = tmp_path / "queries.jsonl"
    file.write_text("".join(json.dumps({"text": f"q{i}", "embedding": q.tolist()}) + "\n" for i, q in enumerate(queries)))
    done = run("trial", chroma, target, "-c", "docs", "--queries", str(file), "--report", "t", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    reported = report_of(tmp_path / "t")["collections"][0]["trial"]["slices"][0]
    truth = corpus.truth("cosine", queries, 10)
    with vectorstore.open(chroma) as source, vectorstore.open(target) as qdrant:
        ours = [[m.id for m in hits] for hits in source.query("docs", queries, 10)]
        theirs = [[m.id for m in hits] for hits in qdrant.query("docs", queries, 10)]
    assert theirs == truth, "Qdrant's embedded engine answers exactly here"
    overlaps = [len(set(a) & set(b)) / 10 for a, b in zip(ours, theirs)]
    assert reported["overlap_mean"] == pytest.approx(float(np.mean(overlaps)), abs=1e-6)
    assert reported["overlap_min"] == pytest.approx(min(overlaps))


def test_chroma_to_qdrant_local_mode(chroma: str, corpus: Corpus, tmp_path: Path) -> None:
    with vectorstore.open(f"qdrant+local://{tmp_path / 'local'}") as target:
        report = migrate(chroma, target, ["small"], checkpoint_dir=tmp_path / "ck", trial_queries=20,
                         wheres=[{"s": "cat-2"}])
        assert report.ok, report.to_json()
        assert_holds(target, "small", small(corpus))
        assert target.get_collection("small").metric == "l2"
        queries = np.random.default_rng(9).normal(size=(10, DIM)).astype(np.float32)
        exact = [[m.id for m in hits] for hits in target.query("small", queries, 10)]
        assert exact == small(corpus).truth("l2", queries, 10), "local mode is brute force: exact"
    item = report.collections[0]
    assert item.verify is not None and item.verify.sampled == SMALL
    assert item.trial is not None and all(s.overlap_mean is not None and s.error is None for s in item.trial.slices)


def _done(checkpoints: Path) -> int:
    for path in checkpoints.glob("*.sqlite"):
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
                return int(db.execute("SELECT count(*) FROM done").fetchone()[0])
        except sqlite3.Error:
            return 0
    return 0


def _descendants(pid: int) -> list[int]:
    """Children and their children: an isolated worker is forked by the host's forkserver, a child of the host."""
    try:
        children = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:  # ended meanwhile
        return []
    return children + [grandchild for child in children for grandchild in _descendants(child)]


def test_sigkill_mid_migration_then_resume(chroma: str, corpus: Corpus, tmp_path: Path) -> None:
    target = f"qdrant://{tmp_path / 'qdrant'}"
    checkpoints = tmp_path / ".vectorstore" / "migrations"
    args = ["migrate", chroma, target, "-c", "docs", "--batch-size", "50", "--batch-delay", "40", "--trial-queries", "0"]
    process = subprocess.Popen([*CLI, *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while _done(checkpoints) < 400 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    workers = _descendants(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the migration finished before it could be killed"
    for worker in workers:  # the isolated Chroma worker notices its parent is gone; wait until it has
        _wait_gone(worker)
    copied_before = _done(checkpoints)
    assert 400 <= copied_before < N
    resumed = run(*args, "--resume", "--report", "r", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    item = report_of(tmp_path / "r")["collections"][0]
    assert item["copy_result"]["resumed"] and item["copy_result"]["skipped"] >= copied_before - 50
    assert item["copy_result"]["copied"] + item["copy_result"]["skipped"] == N
    with vectorstore.open(target) as store:
        assert_holds(store, "docs", corpus)
    assert not list(checkpoints.glob("*.sqlite"))


def _wait_gone(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return
        time.sleep(0.05)
    raise AssertionError(f"worker {pid} outlived its killed parent by {timeout} s")


def test_cli_metric_mismatch_and_missing_collection(chroma: str, tmp_path: Path) -> None:
    target = f"qdrant://{tmp_path / 'qdrant'}"
    with vectorstore.open(target) as store:
        store.create_collection("docs", DIM, "l2")
    done = run("migrate", chroma, target, "-c", "docs", "-c", "nope", cwd=tmp_path)
    assert done.returncode == 1
    assert "metric 'l2'" in done.stdout and "metric 'cosine'" in done.stdout
    assert "has no collection 'nope'" in done.stdout and "docs" in done.stdout
    with vectorstore.open(target) as store:
        assert store.count("docs") == 0 and [c.name for c in store.list_collections()] == ["docs"]


@pytest.mark.parametrize(
    "args",
    [
        ["migrate", "memory://", "qdrant+memory://"],
        ["migrate", "memory://", "qdrant+memory://", "-c", "a", "--all"],
        ["migrate", "memory://", "qdrant+memory://", "-c", "a", "--resume", "--restart"],
        ["trial", "memory://", "qdrant+memory://", "-c", "a", "--where", "{bad"],
        ["verify", "memory://"],
    ],
)
def test_cli_usage_errors_exit_2(args: list[str]) -> None:
    assert CliRunner().invoke(app, args).exit_code == 2


def test_records_the_target_cannot_hold(tmp_path: Path) -> None:
    """A Chroma collection written by chromadb itself (not through vectorstore) can hold values the contract can't."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    path = tmp_path / "native"
    client = chromadb.PersistentClient(str(path))
    native = client.create_collection("legacy", configuration={"hnsw": {"space": "l2"}}, embedding_function=None)
    native.add(
        ids=["fine", "huge-int", "long-" + "x" * 1100],
        embeddings=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        metadatas=[{"n": 1}, {"n": 2**60}, {"n": 3}],
        documents=["a", "b", "c"],
    )
    del native, client
    SharedSystemClient.clear_system_cache()  # this process lets go of the directory before the CLI's worker opens it
    target = f"qdrant://{tmp_path / 'qdrant'}"
    dry = run("migrate", f"chroma://{path}", target, "-c", "legacy", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 1, dry.stdout + dry.stderr
    assert "cannot hold 'huge-int'" in dry.stdout and "2**53" in dry.stdout
    assert "1100 characters" in dry.stdout or "1105 characters" in dry.stdout
    assert "nothing was written" in dry.stdout
    with vectorstore.open(target) as store:
        assert store.list_collections() == []
    with vectorstore.open(target) as store:
        real = migrate(f"chroma://{path}", store, ["legacy"], checkpoint_dir=tmp_path / "ck")
        assert not real.ok and real.collections[0].plan.unholdable[0].id.startswith("long-x")  # type: ignore[union-attr]
        assert store.list_collections() == [], "ids are checked before anything is written"


@pytest.fixture
def memory_source(corpus: Corpus) -> Iterator[vectorstore.VectorStore]:
    with vectorstore.open("memory://") as store:
        corpus.load(store, "docs", "dot")
        yield store


@pytest.mark.parametrize("scheme, n", [("qdrant", N), ("qdrant+local", SMALL), ("chroma", 600)])
def test_memory_to_each(scheme: str, n: int, memory_source: vectorstore.VectorStore, corpus: Corpus,
                        tmp_path: Path) -> None:
    """memory -> each persistent backend in one process; exact targets must agree with numpy."""
    if n < N:
        memory_source.delete("docs", ids=corpus.ids[n:])
    part = Corpus(corpus.ids[:n], corpus.vectors[:n], corpus.documents[:n], corpus.metadatas[:n])
    with vectorstore.open(f"{scheme}://{tmp_path / 'store'}") as target:
        report = migrate(memory_source, target, ["docs"], checkpoint_dir=tmp_path / "ck", trial_queries=30,
                         wheres=[{"s": "cat-3"}])
        assert report.ok, report.to_json()
        assert_holds(target, "docs", part)
        queries = np.random.default_rng(2).normal(size=(10, DIM)).astype(np.float32)
        answers = [[m.id for m in hits] for hits in target.query("docs", queries, 10)]
        trial = report.collections[0].trial
        assert trial is not None and all(s.error is None for s in trial.slices)
        if target.capabilities.exact_search:
            assert answers == part.truth("dot", queries, 10)
            assert all(s.overlap_mean == 1.0 for s in trial.slices)
        else:
            assert all(s.overlap_mean is not None for s in trial.slices)


def test_demo_migration_on_part_of_the_sample(tmp_path: Path) -> None:
    """The README's main job, on the first 300 rows of the bundled sample (the full one runs in the README)."""
    import gzip

    from vectorstore.cli.demo import SAMPLE, run_demo

    part = tmp_path / "part.jsonl.gz"
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as full, gzip.open(part, "wt", encoding="utf-8") as out:
        for _, line in zip(range(300), full):
            out.write(line)
    lines: list[str] = []
    report, html = run_demo(tmp_path / "demo", sample=part, say=lines.append, trial_queries=20)
    assert report.ok, report.to_json()
    item = report.collections[0]
    assert item.verify is not None and item.verify.source_count == item.verify.target_count == 300
    assert item.trial is not None and item.trial.slices[1].where == {"has_example": True}
    assert html.exists() and "PASSED" in html.read_text()
    assert lines[0].startswith("ingested 300 records")
