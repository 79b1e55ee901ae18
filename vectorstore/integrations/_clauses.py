"""Filter clauses of the integrations: a where dict in our language, or True / False (everything / nothing).

Framework filters have constants ours has no word for (an empty AND, ``in []``, Haystack's ``> None``); they fold
here, so what reaches the store is either a plain filter, no filter, or no call at all.
"""

from __future__ import annotations

from typing import Any

#: A filter in our language (what ``where=`` takes), as the integrations build it.
FilterDict = dict[str, Any]
Clause = FilterDict | bool


def conjoin(*clauses: Clause) -> Clause:
    """AND of clauses, folding the constants."""
    if any(clause is False for clause in clauses):
        return False
    parts = [clause for clause in clauses if clause is not True]
    if not parts:
        return True
    return parts[0] if len(parts) == 1 else {"$and": parts}


def disjoin(clauses: list[Clause]) -> Clause:
    """OR of clauses, folding the constants."""
    if any(clause is True for clause in clauses):
        return True
    parts = [clause for clause in clauses if clause is not False]
    if not parts:
        return False
    return parts[0] if len(parts) == 1 else {"$or": parts}


def negate(clause: Clause) -> Clause:
    """NOT of a clause (``$not`` is NOT of the whole, DESIGN 3.3)."""
    return (not clause) if isinstance(clause, bool) else {"$not": clause}
