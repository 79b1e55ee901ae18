"""Which framework metadata values the core stores as they are (DESIGN 3.1); integrations serialise the rest."""

from __future__ import annotations

from typing import Any

_SCALARS = (str, int, float, bool)


def kind(value: Any) -> str:
    """The core's value kinds (DESIGN 3.3): bool, str and number (int and float are one kind)."""
    return "bool" if type(value) is bool else "str" if type(value) is str else "number"


def storable(value: Any) -> bool:
    """A scalar, or a non-empty list of scalars of one kind: what the core stores and filters on as it is."""
    if type(value) in _SCALARS:
        return True
    if type(value) is not list or not value or any(type(v) not in _SCALARS for v in value):
        return False
    return len({kind(v) for v in value}) == 1
