"""Mirrored reads: the statistics equal those computed independently from the two stores."""

from __future__ import annotations

import itertools

import numpy as np

from .conftest import DIMENSION, DRAIN_S, Pair, records


def _independent(ours: list, theirs: list) -> tuple[float, float, float | None, list[float]]:
    """overlap, same rank, Kendall tau and score differences of one query, from first principles."""
    a, b = [m.id for m in ours], [m.id for m in theirs]
    shared = [i for i in a if i in b]
    overlap = len(shared) / max(len(a), len(b)) if a or b else 1.0
    same = sum(x == y for x, y in zip(a, b)) / max(len(a), len(b))
    tau = None
    if len(shared) >= 2:
        pairs = list(itertools.combinations(shared, 2))
        concordant = sum((a.index(x) < a.index(y)) == (b.index(x) < b.index(y)) for x, y in pairs)
        tau = (concordant - (len(pairs) - concordant)) / len(pairs)
    scores = {m.id: m.score for m in theirs}
    return overlap, same, tau, [abs(m.score - scores[m.id]) for m in ours if m.id in scores]


def test_mirrored_agreement_equals_an_independent_computation(pair: Pair) -> None:
    rng = np.random.default_rng(4)
    with pair.open(mirror_fraction=1.0, seed=0) as store:
        store.create_collection("docs", DIMENSION)
        for start in range(0, 600, 200):
            store.upsert("docs", **records(start, 200, rng))
        assert store.wait_caught_up(DRAIN_S)
        queries = rng.normal(size=(12, DIMENSION)).astype(np.float32)
        where = {"t": "t2"}
        for vector in queries:
            store.search("docs", vector, 10)
        store.query("docs", queries[:4], 5, where=where)
        assert store.mirror is not None and store.mirror.drain(DRAIN_S)
        snapshot = store.stats()["shadow"]["mirror"]
        shadow = store.applier.shadow
        assert shadow is not None
        expected = {}
        for key, vectors, k, filt in (("unfiltered", queries, 10, None), ("filtered", queries[:4], 5, where)):
            rows = [_independent(store.primary.search("docs", v, k, where=filt, include=[]),
                                 shadow.search("docs", v, k, where=filt, include=[])) for v in vectors]
            taus = [r[2] for r in rows if r[2] is not None]
            expected[key] = {
                "queries": len(rows), "overlap_mean": np.mean([r[0] for r in rows]),
                "identical_rank_fraction": np.mean([r[1] for r in rows]),
                "kendall_tau": np.mean(taus) if taus else None,
                "score_diff_mean": np.mean([d for r in rows for d in r[3]]),
            }
    assert snapshot["counts"]["compared"] == 16 and snapshot["counts"]["sampled"] == 13
    slices = {("unfiltered" if s["where"] is None else "filtered"): s for s in snapshot["slices"]}
    assert slices["filtered"]["where"] == {"where": {"t": "str"}}
    for key, numbers in expected.items():
        for name, value in numbers.items():
            if value is None:
                assert slices[key][name] is None
            else:
                assert abs(slices[key][name] - value) < 1e-6, (key, name, slices[key][name], value)
        assert slices[key]["latency_source"]["p50"] > 0 and slices[key]["latency_target"]["p50"] > 0
    assert sum(w["queries"] for w in snapshot["windows"]) == 16
