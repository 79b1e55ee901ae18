"""``vectorstore.scores`` against formulas written here, independently, with numpy (DESIGN 3.2)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vectorstore import scores
from vectorstore.models import Match
from vectorstore.store import VectorStore

RNG = np.random.default_rng(20240531)
QUERIES = RNG.normal(size=(7, 24)).astype(np.float32)
VECTORS = RNG.normal(size=(50, 24)).astype(np.float32)


def cosine_truth(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    q64, v64 = q.astype(np.float64), v.astype(np.float64)
    return np.array([[a @ b / (np.linalg.norm(a) * np.linalg.norm(b)) for b in v64] for a in q64])


def dot_truth(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("id,jd->ij", q.astype(np.float64), v.astype(np.float64))


def l2_truth(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Plain (not squared) Euclidean distance from the differences themselves."""
    return np.linalg.norm(q.astype(np.float64)[:, None, :] - v.astype(np.float64)[None, :, :], axis=2)


# -- by hand --------------------------------------------------------------------------------------------------------

HAND_Q = np.array([[1.0, 0.0]], dtype=np.float32)
HAND_V = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [3.0, 4.0], [2.0, 0.0]], dtype=np.float32)


@pytest.mark.parametrize(
    ("metric", "expected_scores", "expected_distances"),
    [
        ("cosine", [1.0, 0.0, -1.0, 0.6, 1.0], [0.0, 1.0, 2.0, 0.4, 0.0]),
        ("dot", [1.0, 0.0, -1.0, 3.0, 2.0], [0.0, 1.0, 2.0, -2.0, -1.0]),
        ("l2", [0.0, -math.sqrt(2), -2.0, -math.sqrt(20), -1.0], [0.0, math.sqrt(2), 2.0, math.sqrt(20), 1.0]),
    ],
)
def test_hand_computed_values(metric: str, expected_scores: list[float], expected_distances: list[float]) -> None:
    got = scores.exact(metric, HAND_Q, HAND_V)  # type: ignore[arg-type]
    np.testing.assert_allclose(got, [expected_scores], atol=1e-12)
    np.testing.assert_allclose(scores.distance(metric, got), [expected_distances], atol=1e-12)  # type: ignore[arg-type]


# -- random data against independent formulas -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "score_truth", "distance_of"),
    [
        ("cosine", cosine_truth(QUERIES, VECTORS), lambda s: 1.0 - s),
        ("dot", dot_truth(QUERIES, VECTORS), lambda s: 1.0 - s),
        ("l2", -l2_truth(QUERIES, VECTORS), lambda s: -s),
    ],
)
def test_exact_against_numpy(metric: str, score_truth: np.ndarray, distance_of) -> None:  # type: ignore[no-untyped-def]
    got = scores.exact(metric, QUERIES, VECTORS)  # type: ignore[arg-type]
    assert got.shape == (len(QUERIES), len(VECTORS))
    np.testing.assert_allclose(got, score_truth, atol=1e-9)
    distances = scores.distance(metric, got)  # type: ignore[arg-type]
    np.testing.assert_allclose(distances, distance_of(score_truth), atol=1e-9)


def test_l2_is_accurate_for_large_magnitudes() -> None:
    """A vector's distance to itself is 0 and close vectors stay apart, even far from the origin."""
    vectors = RNG.uniform(-1e4, 1e4, size=(20, 16)).astype(np.float32)
    near = vectors.copy()
    near[:, 0] += np.float32(0.5)
    got = scores.exact("l2", vectors, np.concatenate([vectors, near]))
    truth = -l2_truth(vectors, np.concatenate([vectors, near]))
    np.testing.assert_allclose(got, truth, rtol=0, atol=1e-4)


def test_cosine_of_a_zero_vector_is_zero_not_nan() -> None:
    got = scores.exact("cosine", np.array([[0.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 0.0]]))
    np.testing.assert_array_equal(got, [[0.0, 0.0]])


# -- native numbers of the backends ---------------------------------------------------------------------------------


def test_from_distance_chroma() -> None:
    """Chroma reports ``1 - cos`` (cosine), ``1 - dot`` (ip) and squared L2 (l2)."""
    cos, dot, l2 = cosine_truth(QUERIES, VECTORS), dot_truth(QUERIES, VECTORS), l2_truth(QUERIES, VECTORS)
    np.testing.assert_allclose(scores.from_distance("cosine", 1.0 - cos), cos, atol=1e-12)
    np.testing.assert_allclose(scores.from_distance("dot", 1.0 - dot), dot, atol=1e-12)
    np.testing.assert_allclose(scores.from_distance("l2", l2**2), -l2, atol=1e-9)
    np.testing.assert_allclose(scores.from_distance("l2", l2, squared_l2=False), -l2, atol=1e-12)
    assert scores.from_distance("l2", 9.0) == -3.0
    assert scores.from_distance("cosine", 0.25) == 0.75
    assert scores.from_distance("dot", -4.0) == 5.0


def test_from_distance_clamps_tiny_negative_squared_l2() -> None:
    """Float error can make a squared distance slightly negative; that is a distance of 0, not NaN."""
    got = scores.from_distance("l2", np.array([-1e-7, 0.0, 4.0]))
    np.testing.assert_array_equal(got, [0.0, 0.0, -2.0])


def test_from_similarity_qdrant() -> None:
    """Qdrant reports cos (Cosine), q . v (Dot) and plain L2 distance (Euclid)."""
    cos, dot, l2 = cosine_truth(QUERIES, VECTORS), dot_truth(QUERIES, VECTORS), l2_truth(QUERIES, VECTORS)
    np.testing.assert_allclose(scores.from_similarity("cosine", cos), cos, atol=1e-12)
    np.testing.assert_allclose(scores.from_similarity("dot", dot), dot, atol=1e-12)
    np.testing.assert_allclose(scores.from_similarity("l2", l2), -l2, atol=1e-12)
    assert scores.from_similarity("l2", 2.5) == -2.5
    assert scores.from_similarity("dot", -3.0) == -3.0


@pytest.mark.parametrize("metric", ["cosine", "dot", "l2"])
def test_score_and_distance_order_agree(metric: str) -> None:
    """Higher score always means lower distance."""
    got = scores.exact(metric, QUERIES, VECTORS)  # type: ignore[arg-type]
    order_by_score = np.argsort(-got, axis=1, kind="stable")
    order_by_distance = np.argsort(scores.distance(metric, got), axis=1, kind="stable")  # type: ignore[arg-type]
    np.testing.assert_array_equal(order_by_score, order_by_distance)


# -- top_k ----------------------------------------------------------------------------------------------------------


def test_top_k_best_first_ties_by_position() -> None:
    table = np.array([[0.1, 0.9, 0.5, 0.9, -1.0], [3.0, 2.0, 1.0, 0.0, 3.0]])
    np.testing.assert_array_equal(scores.top_k(table, 3), [[1, 3, 2], [0, 4, 1]])


def test_top_k_larger_than_the_table() -> None:
    table = np.array([[0.2, 0.7]])
    np.testing.assert_array_equal(scores.top_k(table, 10), [[1, 0]])
    assert scores.top_k(np.empty((2, 0)), 5).shape == (2, 0)


def test_top_k_ties_by_id_when_given() -> None:
    """Hand-checked: row 0 ties 0.9 at columns 1 ('d') and 3 ('b'): 'b' first; row 1 ties 3.0 at 'e' and 'a'."""
    table = np.array([[0.1, 0.9, 0.5, 0.9, -1.0], [3.0, 2.0, 1.0, 0.0, 3.0]])
    ids = ["e", "d", "c", "b", "a"]
    np.testing.assert_array_equal(scores.top_k(table, 3, ids), [[3, 1, 2], [4, 0, 1]])
    # a tie on the k-th place keeps the smallest id: of 'd' and 'b' at 0.9, k=1 returns 'b'
    np.testing.assert_array_equal(scores.top_k(table, 1, ids), [[3], [4]])


# -- order_matches ----------------------------------------------------------------------------------------------------


def _matches(pairs: list[tuple[str, float]]) -> list[Match]:
    return [Match(id=i, score=s, distance=1.0 - s) for i, s in pairs]


def test_order_matches_by_score_then_id() -> None:
    row = _matches([("b", 0.5), ("c", 0.9), ("a", 0.5), ("d", 0.5000001), ("e", -1.0)])
    assert [m.id for m in scores.order_matches(row)] == ["c", "d", "a", "b", "e"]


def test_order_matches_of_all_equal_scores_is_by_id() -> None:
    """A zero query vector on cosine scores every record 0: the engines' orders differ, ours does not."""
    ids = ["r10", "r2", "r1", "a", "B"]
    engine_a, engine_b = _matches([(i, 0.0) for i in ids]), _matches([(i, 0.0) for i in reversed(ids)])
    assert [m.id for m in scores.order_matches(engine_a)] == ["B", "a", "r1", "r10", "r2"]  # code point order
    assert scores.order_matches(engine_a) == scores.order_matches(engine_b)


def test_order_matches_agrees_with_a_full_sort_on_rows_nearly_in_order() -> None:
    """Rows that come best first are kept as they are; one pair out of place anywhere is still sorted."""
    rng = np.random.default_rng(11)
    for _ in range(300):
        size = int(rng.integers(0, 8))
        values = np.round(rng.random(size), 1)  # one decimal: ties are common
        ids = [f"id{int(n)}" for n in rng.permutation(size)]
        best_first = sorted(zip(ids, values.tolist()), key=lambda pair: (-pair[1], pair[0]))
        if size > 1 and rng.random() < 0.7:
            i = int(rng.integers(0, size - 1))
            best_first[i], best_first[i + 1] = best_first[i + 1], best_first[i]
        expected = sorted(best_first, key=lambda pair: (-pair[1], pair[0]))
        assert [(m.id, m.score) for m in scores.order_matches(_matches(best_first))] == expected


def test_memory_adapter_answers_in_the_contract_order(store: VectorStore) -> None:
    """Tied scores from the memory adapter already come in order_matches order, and the k-th tie keeps small ids."""
    store.create_collection("ties", 2)
    ids = ["z", "m", "b", "y", "a"]
    store.upsert("ties", ids, [[1, 0], [0, 1], [1, 0], [1, 0], [0, 1]])
    for query in ([0.0, 0.0], [1.0, 0.0]):
        (found,) = store.query("ties", np.array([query]), k=5)
        assert found == scores.order_matches(found)
    assert [m.id for m in store.search("ties", [1.0, 0.0], k=2)] == ["b", "y"]
    assert [m.id for m in store.search("ties", [0.0, 0.0], k=5)] == ["a", "b", "m", "y", "z"]
