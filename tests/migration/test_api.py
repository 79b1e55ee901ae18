"""The Python API, memory -> memory in one process: copy, plan checks, resume, verify, trial."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import vectorstore
from vectorstore import VectorStore
from vectorstore.adapters.memory import MemoryAdapter
from vectorstore.batch import RecordBatch
from vectorstore.errors import CollectionNotFound, InvalidInput
from vectorstore.migration import CheckpointExists, Observer, migrate, trial, verify
from vectorstore.migration.checkpoint import checkpoint_path
from vectorstore.models import Capabilities

from .conftest import Corpus, assert_holds, make_corpus

N = 1200


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return make_corpus(N)


@pytest.fixture
def pair(corpus: Corpus) -> tuple[VectorStore, VectorStore]:
    source, target = vectorstore.open("memory://"), vectorstore.open("memory://")
    corpus.load(source, "docs", "cosine")
    return source, target


@pytest.mark.parametrize("metric", ["cosine", "dot", "l2"])
def test_migrate_copies_everything_with_shape(corpus: Corpus, tmp_path: Path, metric: str) -> None:
    source, target = vectorstore.open("memory://"), vectorstore.open("memory://")
    corpus.load(source, "docs", metric)  # type: ignore[arg-type]
    report = migrate(source, target, ["docs"], batch_size=100, checkpoint_dir=tmp_path, trial_queries=20)
    assert report.ok, report.to_json()
    info = target.get_collection("docs")
    assert (info.dimension, info.metric) == (corpus.vectors.shape[1], metric)
    assert_holds(target, "docs", corpus)
    item = report.collections[0]
    assert item.copy_result is not None and item.copy_result.copied == N and item.copy_result.batches == N // 100
    assert item.verify is not None and item.verify.sampled == 1000 and item.verify.difference_count == 0
    assert item.checkpoint is None and not list(tmp_path.iterdir()), "a verified finish removes the checkpoint"
    assert [c.name for c in target.list_collections()] == ["docs"], "the id probe's scratch collection is gone"


def test_trial_overlap_matches_numpy_truth(pair: tuple[VectorStore, VectorStore], corpus: Corpus, tmp_path: Path) -> None:
    source, target = pair
    migrate(source, target, ["docs"], checkpoint_dir=tmp_path, trial_queries=0)
    queries = np.random.default_rng(7).normal(size=(25, corpus.vectors.shape[1])).astype(np.float32)
    truth = corpus.truth("cosine", queries, 10)
    for store in (source, target):  # both sides are exact: each returns the numpy truth
        assert [[m.id for m in hits] for hits in store.query("docs", queries, 10)] == truth
    where = {"b": True}
    report = trial(source, target, ["docs"], queries=queries, k=10, wheres=[where])
    unfiltered, filtered = report.collections[0].trial.slices  # type: ignore[union-attr]
    assert unfiltered.queries == filtered.queries == 25
    assert unfiltered.overlap_mean == unfiltered.overlap_min == 1.0
    assert unfiltered.identical_rank_fraction == 1.0 and unfiltered.kendall_tau == 1.0
    assert unfiltered.overlap_histogram[-1] == 25 and sum(unfiltered.overlap_histogram) == 25
    assert unfiltered.score_diff_max == 0.0
    assert filtered.where == where and filtered.overlap_mean == 1.0
    for side in (unfiltered.latency_source, unfiltered.latency_target):
        assert side is not None and 0 < side.p50 <= side.p95 <= side.p99
    assert report.collections[0].trial.flags == []  # type: ignore[union-attr]


def test_trial_flags_low_recall(corpus: Corpus) -> None:
    """A target built with another metric answers differently; the trial must say so."""
    source, target = vectorstore.open("memory://"), vectorstore.open("memory://")
    corpus.load(source, "docs", "cosine")
    corpus.load(target, "docs", "dot")
    queries = np.random.default_rng(3).normal(size=(30, corpus.vectors.shape[1])).astype(np.float32)
    expected = np.mean([
        len(set(a) & set(b)) / 10 for a, b in zip(corpus.truth("cosine", queries, 10), corpus.truth("dot", queries, 10))
    ])
    result = trial(source, target, ["docs"], queries=queries).collections[0].trial
    assert result is not None
    assert result.slices[0].overlap_mean == pytest.approx(expected)
    assert expected < 0.85 and any("recall@10" in flag for flag in result.flags)


def test_metric_mismatch_is_an_error_and_writes_nothing(pair: tuple[VectorStore, VectorStore], tmp_path: Path) -> None:
    source, target = pair
    target.create_collection("docs", 16, "l2")
    item = migrate(source, target, ["docs"], checkpoint_dir=tmp_path).collections[0]
    assert not item.ok and item.copy_result is None
    assert any("metric 'l2'" in b and "'cosine'" in b for b in item.plan.blockers)  # type: ignore[union-attr]
    assert target.count("docs") == 0 and not list(tmp_path.iterdir())


def test_dimension_mismatch_is_an_error(pair: tuple[VectorStore, VectorStore], tmp_path: Path) -> None:
    source, target = pair
    target.create_collection("docs", 8, "cosine")
    item = migrate(source, target, ["docs"], checkpoint_dir=tmp_path).collections[0]
    assert any("dimension 8" in b for b in item.plan.blockers)  # type: ignore[union-attr]
    assert target.count("docs") == 0


def test_missing_source_collection_names_the_existing_ones(pair: tuple[VectorStore, VectorStore], tmp_path: Path) -> None:
    source, target = pair
    report = migrate(source, target, ["nope"], checkpoint_dir=tmp_path)
    assert not report.ok
    error = report.collections[0].error or ""
    assert error.startswith("CollectionNotFound") and "'nope'" in error and "docs" in error
    assert target.list_collections() == []


def test_same_store_twice_is_refused(memory: VectorStore) -> None:
    with pytest.raises(InvalidInput, match="same store"):
        migrate("memory://", "memory://", ["docs"])
    with pytest.raises(InvalidInput, match="same store"):
        migrate(memory, memory, ["docs"])


class _OneMetric(MemoryAdapter):
    """A backend that only knows cosine (as some hosted services do)."""

    capabilities = Capabilities(metrics=frozenset({"cosine"}))


def test_target_without_the_metric_is_blocked(corpus: Corpus, tmp_path: Path) -> None:
    source, target = vectorstore.open("memory://"), VectorStore(_OneMetric(), url="onemetric://")
    corpus.load(source, "docs", "l2")
    item = migrate(source, target, ["docs"], checkpoint_dir=tmp_path).collections[0]
    assert any("does not support the metric 'l2'" in b for b in item.plan.blockers)  # type: ignore[union-attr]
    assert target.list_collections() == []


class _FoldCase(MemoryAdapter):
    """A backend whose native ids ignore case (the original id is kept, like Qdrant's payload id)."""

    def upsert(self, name: str, batch: RecordBatch) -> None:
        rows = self._get(name).rows
        for i, record_id in enumerate(batch.ids):
            for key in [k for k in rows if k.lower() == record_id.lower()]:
                del rows[key]
            super().upsert(name, batch.slice(i, i + 1))

    def native_ids(self, ids: list[str]) -> list[str]:
        return [i.lower() for i in ids]

    def get(self, name: str, ids: list[str], include: frozenset[str]) -> RecordBatch:
        wanted = {i.lower() for i in ids}
        return super().get(name, [k for k in self._get(name).rows if k.lower() in wanted], include)


def test_colliding_ids_stop_the_copy_with_the_list(tmp_path: Path) -> None:
    corpus = make_corpus(300)
    corpus.ids[10], corpus.ids[20], corpus.ids[30] = "Paper-A", "paper-a", "PAPER-A"
    corpus.ids[40], corpus.ids[50] = "x-B", "X-b"
    source, target = vectorstore.open("memory://"), VectorStore(_FoldCase(), url="foldcase://")
    corpus.load(source, "docs")
    item = migrate(source, target, ["docs"], checkpoint_dir=tmp_path, batch_size=64).collections[0]
    assert item.plan is not None and item.plan.ids_checked
    assert item.plan.collisions == [["PAPER-A", "Paper-A", "paper-a"], ["X-b", "x-B"]]
    assert not item.ok and item.copy_result is None
    assert target.list_collections() == [], "nothing written"


def test_no_collisions_on_a_faithful_target(pair: tuple[VectorStore, VectorStore], tmp_path: Path) -> None:
    source, target = pair
    plan = migrate(source, target, ["docs"], dry_run=True, checkpoint_dir=tmp_path).collections[0].plan
    assert plan is not None and plan.ids_checked and plan.collisions == []


def test_dry_run_reports_and_writes_nothing(pair: tuple[VectorStore, VectorStore], tmp_path: Path) -> None:
    source, target = pair
    report = migrate(source, target, ["docs"], dry_run=True, checkpoint_dir=tmp_path)
    assert report.ok and report.dry_run
    plan = report.collections[0].plan
    assert plan is not None and (plan.source_count, plan.to_copy, plan.target_exists) == (N, N, False)
    assert target.list_collections() == [] and not list(tmp_path.iterdir())


def test_foreign_target_records_block_the_copy(pair: tuple[VectorStore, VectorStore], tmp_path: Path) -> None:
    source, target = pair
    target.create_collection("docs", 16, "cosine")
    target.upsert("docs", ["not-from-source"], np.ones((1, 16), dtype=np.float32))
    plan = migrate(source, target, ["docs"], checkpoint_dir=tmp_path).collections[0].plan
    assert plan is not None and plan.foreign_count == 1 and plan.foreign_ids == ["not-from-source"]
    assert target.count("docs") == 1


def test_rerun_into_a_complete_target_is_fine(pair: tuple[VectorStore, VectorStore], tmp_path: Path, corpus: Corpus) -> None:
    source, target = pair
    assert migrate(source, target, ["docs"], checkpoint_dir=tmp_path, trial_queries=0).ok
    again = migrate(source, target, ["docs"], checkpoint_dir=tmp_path, trial_queries=0)
    assert again.ok and again.collections[0].plan.foreign_count == 0  # type: ignore[union-attr]
    assert_holds(target, "docs", corpus)


class _Interrupt(Exception):
    """Stands in for the process dying mid-copy (the subprocess test uses a real SIGKILL)."""


class _StopAfter(Observer):
    def __init__(self, records: int) -> None:
        self.left = records

    def advance(self, count: int) -> None:
        self.left -= count
        if self.left <= 0:
            raise _Interrupt


def test_resume_after_interruption_and_source_changes(corpus: Corpus, tmp_path: Path) -> None:
    source, target = vectorstore.open("memory://"), vectorstore.open("memory://")
    corpus.load(source, "docs")
    with pytest.raises(_Interrupt):
        migrate(source, target, ["docs"], batch_size=100, checkpoint_dir=tmp_path, observer=_StopAfter(500))
    path = checkpoint_path(tmp_path, "memory://", "memory://", "docs")
    assert path.exists()
    copied = target.count("docs")
    assert 0 < copied < N
    refused = migrate(source, target, ["docs"], checkpoint_dir=tmp_path).collections[0].error or ""
    assert refused.startswith(CheckpointExists.__name__) and "--resume" in refused and str(path) in refused
    # the source changes between the runs: a copied record deleted, a copied one updated, one never copied deleted
    copied_ids = [r.id for batch in target.scan("docs", include=[]) for r in batch]
    gone, changed = copied_ids[0], copied_ids[1]
    not_copied = next(i for i in reversed(corpus.ids) if i not in set(copied_ids))
    source.delete("docs", ids=[gone, not_copied])
    source.upsert("docs", [changed], corpus.vectors[[corpus.ids.index(changed)]] * 2, ["changed"], [{"v": 2}])
    source.upsert("docs", ["brand-new"], np.ones((1, 16), dtype=np.float32))
    report = migrate(source, target, ["docs"], batch_size=100, resume=True, checkpoint_dir=tmp_path, trial_queries=0)
    assert report.ok, report.to_json()
    item = report.collections[0]
    assert item.copy_result is not None and item.copy_result.resumed
    assert item.copy_result.deleted_stale == 1
    assert item.copy_result.skipped == copied - 2  # every copied record but the deleted and the changed one
    expected = {r.id: r for batch in source.scan("docs", include=["vector", "document", "metadata"]) for r in batch}
    got = {r.id: r for batch in target.scan("docs", include=["vector", "document", "metadata"]) for r in batch}
    assert got == expected
    assert not path.exists()


def test_restart_discards_the_checkpoint(corpus: Corpus, tmp_path: Path) -> None:
    source, target = vectorstore.open("memory://"), vectorstore.open("memory://")
    corpus.load(source, "docs")
    with pytest.raises(_Interrupt):
        migrate(source, target, ["docs"], batch_size=100, checkpoint_dir=tmp_path, observer=_StopAfter(300))
    report = migrate(source, target, ["docs"], restart=True, checkpoint_dir=tmp_path, trial_queries=0)
    assert report.ok and not report.collections[0].copy_result.resumed  # type: ignore[union-attr]
    assert report.collections[0].copy_result.copied == N  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):
        migrate(source, target, ["docs"], resume=True, restart=True)


def test_verify_lists_each_kind_of_difference(pair: tuple[VectorStore, VectorStore], tmp_path: Path, corpus: Corpus) -> None:
    source, target = pair
    migrate(source, target, ["docs"], checkpoint_dir=tmp_path, trial_queries=0)
    typed = next(i for i, m in enumerate(corpus.metadatas) if m)
    target.upsert("docs", [corpus.ids[typed]], corpus.vectors[[typed]], [corpus.documents[typed]],
                  [{**corpus.metadatas[typed], "i": float(corpus.metadatas[typed]["i"])}])
    target.upsert("docs", [corpus.ids[3]], corpus.vectors[[3]] * 1.001, [corpus.documents[3]], [corpus.metadatas[3]])
    target.upsert("docs", [corpus.ids[4]], corpus.vectors[[4]], ["other"], [corpus.metadatas[4]])
    target.delete("docs", ids=[corpus.ids[6]])
    target.upsert("docs", ["extra"], np.ones((1, 16), dtype=np.float32))
    result = verify(source, target, ["docs"], sample=N).collections[0].verify
    assert result is not None and not result.ok
    kinds = {(p.kind, p.id) for p in result.differences}
    assert ("missing_in_target", corpus.ids[6]) in kinds and ("extra_in_target", "extra") in kinds
    assert ("metadata", corpus.ids[typed]) in kinds and ("vector", corpus.ids[3]) in kinds
    assert ("document", corpus.ids[4]) in kinds
    detail = next(p.detail for p in result.differences if p.kind == "metadata")
    assert "source int" in detail and "target float" in detail
    assert (result.missing_in_target, result.extra_in_target) == (1, 1)


def test_verify_passes_within_float32_rounding(pair: tuple[VectorStore, VectorStore], corpus: Corpus) -> None:
    """What a cosine backend that normalises and scales back returns: equal within float32 rounding."""
    source, target = pair
    corpus.load(target, "docs")
    norms = np.linalg.norm(corpus.vectors, axis=1, keepdims=True)
    rescaled = ((corpus.vectors / norms).astype(np.float32) * norms).astype(np.float32)
    assert not np.array_equal(rescaled, corpus.vectors)
    target.upsert("docs", corpus.ids, rescaled, corpus.documents, corpus.metadatas)
    assert verify(source, target, ["docs"], sample=N).ok


def test_verify_missing_target_collection(pair: tuple[VectorStore, VectorStore]) -> None:
    source, target = pair
    result = verify(source, target, ["docs"]).collections[0].verify
    assert result is not None and not result.ok and result.differences[0].kind == "collection"


def test_all_collections(corpus: Corpus, tmp_path: Path) -> None:
    source, target = vectorstore.open("memory://"), vectorstore.open("memory://")
    corpus.load(source, "alpha")
    corpus.load(source, "beta", "l2")
    report = migrate(source, target, None, checkpoint_dir=str(tmp_path), trial_queries=5)  # a str path too
    assert report.ok and [c.collection for c in report.collections] == ["alpha", "beta"]
    assert target.get_collection("beta").metric == "l2"


def test_missing_collection_error_type(memory: VectorStore) -> None:
    from vectorstore.migration.plan import source_collection

    with pytest.raises(CollectionNotFound, match="has no collection 'x-y-z'"):
        source_collection(memory, "x-y-z")


class _Meddle(Observer):
    """Deletes a target record between the copy and the verification."""

    def __init__(self, target: VectorStore, record_id: str) -> None:
        self.target, self.record_id = target, record_id

    def phase(self, collection: str, text: str) -> None:
        if text == "verifying":
            self.target.delete(collection, ids=[self.record_id])


def test_failed_verification_keeps_the_checkpoint(pair: tuple[VectorStore, VectorStore], corpus: Corpus,
                                                  tmp_path: Path) -> None:
    source, target = pair
    report = migrate(source, target, ["docs"], checkpoint_dir=tmp_path, trial_queries=0,
                     observer=_Meddle(target, corpus.ids[7]))
    item = report.collections[0]
    assert not report.ok and item.verify is not None and item.verify.missing_in_target == 1
    assert item.checkpoint is not None and Path(item.checkpoint).exists()
    resumed = migrate(source, target, ["docs"], resume=True, checkpoint_dir=tmp_path, trial_queries=0)
    assert resumed.ok and resumed.collections[0].copy_result.copied == 1  # type: ignore[union-attr]
    assert not Path(item.checkpoint).exists()


def test_trial_query_errors_fail_the_report(pair: tuple[VectorStore, VectorStore], tmp_path: Path) -> None:
    source, target = pair
    migrate(source, target, ["docs"], checkpoint_dir=tmp_path, trial_queries=0)
    report = trial(source, target, ["docs"], queries=np.ones((3, 5), dtype=np.float32))
    first = report.collections[0].trial.slices[0]  # type: ignore[union-attr]
    assert not report.ok and first.error is not None and first.error.startswith("DimensionMismatch")


def test_empty_collection(tmp_path: Path) -> None:
    source, target = vectorstore.open("memory://"), vectorstore.open("memory://")
    source.create_collection("empty", 8, "dot")
    report = migrate(source, target, ["empty"], checkpoint_dir=tmp_path)
    item = report.collections[0]
    assert report.ok and item.copy_result.copied == 0 and item.trial.slices[0].queries == 0  # type: ignore[union-attr]
    assert target.get_collection("empty").metric == "dot" and target.count("empty") == 0


def test_parallel_migrates_every_collection_as_one_at_a_time_would(corpus: Corpus, tmp_path: Path) -> None:
    source, target = vectorstore.open("memory://"), vectorstore.open("memory://")
    names = ["docs-a", "docs-b", "docs-c"]
    for name in names:
        corpus.load(source, name, "cosine")
    report = migrate(source, target, names, batch_size=100, checkpoint_dir=tmp_path, trial_queries=0, parallel=3)
    assert report.ok, report.to_json()
    assert [item.collection for item in report.collections] == names  # in the order asked
    for name in names:
        assert_holds(target, name, corpus)
    with pytest.raises(InvalidInput, match="parallel"):
        migrate(source, target, names, checkpoint_dir=tmp_path, parallel=0)


def test_checkpoint_digests_keep_their_format() -> None:
    """A checkpoint written by an earlier release must still match: the digest is blake2b-16 of the float32 bytes,
    then of ``[document, metadata]`` as sorted, compact JSON (computed here with hashlib and json directly)."""
    import hashlib
    import json

    from vectorstore.migration.checkpoint import batch_digests

    vectors = np.random.default_rng(3).standard_normal((4, 5)).astype(np.float32)
    documents = ["a", None, "ü", ""]
    metadatas = [{"b": 1, "a": 1.0}, None, {"t": True, "l": ["x", 2]}, {}]
    expected = []
    for vector, document, metadata in zip(vectors, documents, metadatas):
        digest = hashlib.blake2b(vector.tobytes(), digest_size=16)
        text = json.dumps([document, metadata or {}], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest.update(text.encode("utf-8"))
        expected.append(digest.digest())
    assert batch_digests(vectors, documents, metadatas) == expected
    assert batch_digests(vectors.astype(np.float64), documents, metadatas) == expected  # float32 bytes either way
    assert batch_digests(vectors[:0], [], []) == []
    assert len(set(expected)) == 4


def test_checkpoint_reports_ids_the_source_yields_twice() -> None:
    from vectorstore.migration.checkpoint import Checkpoint

    checkpoint = Checkpoint(None)
    assert checkpoint.add_source_ids(["a", "b", "c"]) == []
    assert sorted(checkpoint.add_source_ids(["d", "b", "d", "e", "a", "d"])) == ["a", "b", "d", "d"]
    assert [i for batch in checkpoint.source_ids(2) for i in batch] == ["a", "b", "c", "d", "e"]
    ids = [f"id{i}" for i in range(2500)]  # more than one sqlite chunk of bound parameters
    assert checkpoint.add_source_ids(ids) == []
    assert checkpoint.add_source_ids(ids[::-1]) == ids[::-1]
