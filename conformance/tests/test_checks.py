"""``match_problems`` and ties (DESIGN 3.2): any choice at a k-th place tie and any order inside a tie group pass,
exactly equal scores out of id order and wrong rankings fail. Scores here are exact by construction (unit vectors)."""

from __future__ import annotations

import numpy as np

from vectorstore.models import Match
from vectorstore_conformance.checks import match_problems, ranking_problems, tie_groups
from vectorstore_conformance.reference import Reference

#: q . v on cosine: a 1.0; b, c and e 0.0 (exact ties); d -1.0.
VECTORS = {"a": [1.0, 0.0], "c": [0.0, 1.0], "b": [0.0, 1.0], "d": [-1.0, 0.0], "e": [0.0, -1.0]}
QUERY = np.array([1.0, 0.0], dtype=np.float32)


def _reference() -> Reference:
    reference = Reference("cosine")
    reference.upsert(list(VECTORS), np.array(list(VECTORS.values())))
    return reference


def _found(*pairs: tuple[str, float]) -> list[Match]:
    return [Match(id=i, score=s, distance=1.0 - s) for i, s in pairs]


def test_any_choice_at_a_tie_on_the_kth_place() -> None:
    reference = _reference()
    for tied in ("b", "c", "e"):
        found = _found(("a", 1.0), (tied, 0.0))
        assert match_problems(found, reference, QUERY, 2, strict_order=True) == []


def test_a_tie_group_in_id_order_passes_in_full() -> None:
    found = _found(("a", 1.0), ("b", 0.0), ("c", 0.0), ("e", 0.0), ("d", -1.0))
    assert match_problems(found, _reference(), QUERY, 5, strict_order=True) == []


def test_exactly_equal_scores_out_of_id_order_fail() -> None:
    found = _found(("a", 1.0), ("c", 0.0), ("b", 0.0))
    (problem,) = match_problems(found, _reference(), QUERY, 3)
    assert problem.startswith("equal scores not ordered by id: [('c', 'b')]")


def test_near_ties_may_come_in_either_order() -> None:
    """Scores 1e-7 apart (one engine's float32 rounding) are one tie group: ordered by score, not by id."""
    found = _found(("a", 1.0), ("c", 1e-7), ("b", 0.0), ("e", 0.0))
    assert match_problems(found, _reference(), QUERY, 4, strict_order=True) == []


def test_a_record_outside_the_tie_group_fails_the_ranking() -> None:
    reference = _reference()
    problems = match_problems(_found(("a", 1.0), ("d", -1.0)), reference, QUERY, 2, strict_order=True)
    assert any("some of the records tied at score 0" in p for p in problems), problems
    assert any("differ from the exact top-2" in p for p in problems), problems


def test_ranking_problems_by_hand() -> None:
    truth = {"a": 1.0, "b": 0.0, "c": 0.0, "e": 0.0, "d": -1.0}
    assert tie_groups(truth) == [{"a"}, {"b", "c", "e"}, {"d"}]
    assert ranking_problems(["a", "e", "b", "c", "d"], truth, 5) == []  # any order inside a group
    assert ranking_problems(["a", "e", "c"], truth, 3) == []
    assert ranking_problems(["b", "a"], truth, 2) != []  # a must come first
    assert ranking_problems(["a", "b", "d", "c"], truth, 4) != []  # d ranked above a tied record
