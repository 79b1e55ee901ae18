"""The trial's same-rank statistic: reorderings within tied scores are not differences. Expected values by hand."""

from __future__ import annotations

from vectorstore.migration.trial import same_rank
from vectorstore.models import Match


def _row(*pairs: tuple[str, float]) -> list[Match]:
    return [Match(id=i, score=s, distance=1.0 - s) for i, s in pairs]


def test_a_permutation_within_a_tie_is_the_same_rank() -> None:
    """Ranks 1-3 tie on both sides (0.5, and 0.5000001 on the target: within 1e-6) and hold {b, c, d} on both: they
    count; rank 0 (a = a) counts; rank 4 (e vs f) does not. 4 of 5. Comparing ids rank by rank would give 1 of 5."""
    ours = _row(("a", 0.9), ("b", 0.5), ("c", 0.5), ("d", 0.5), ("e", 0.1))
    theirs = _row(("a", 0.9), ("d", 0.5), ("b", 0.5), ("c", 0.5000001), ("f", 0.1))
    assert same_rank(ours, theirs) == 4 / 5


def test_no_tie_on_one_side_means_rank_by_rank() -> None:
    """x and y tie on the source only (0.6 vs 0.5 on the target): swapped ids are different ranks. 0 of 2."""
    assert same_rank(_row(("x", 0.5), ("y", 0.5)), _row(("y", 0.6), ("x", 0.5))) == 0.0


def test_scores_further_apart_than_the_tolerance_are_not_a_tie() -> None:
    """0.5 and 0.500002 differ by 2e-6 > 1e-6: the swap of p and q counts as two differences; r = r counts. 1 of 3."""
    ours = _row(("p", 0.500002), ("q", 0.5), ("r", 0.1))
    theirs = _row(("q", 0.500002), ("p", 0.5), ("r", 0.1))
    assert same_rank(ours, theirs) == 1 / 3


def test_a_different_choice_at_the_kth_tie_and_a_shorter_answer() -> None:
    """Ranks 1-2 tie on both sides but hold {b, c} vs {c, z}: rank by rank, 0; rank 0 counts; the source's 4th
    result has no partner. 1 of 4."""
    ours = _row(("a", 0.9), ("b", 0.2), ("c", 0.2), ("d", 0.1))
    theirs = _row(("a", 0.9), ("c", 0.2), ("z", 0.2))
    assert same_rank(ours, theirs) == 1 / 4
    assert same_rank([], []) is None

