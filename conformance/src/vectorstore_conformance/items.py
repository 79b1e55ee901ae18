"""Where a collected test comes from: its suite group, and the capabilities it requires.

An adapter's test class inherits every group through :class:`~vectorstore_conformance.ConformanceTests`, so the
collected item's own class says nothing about the group. We look up, in the class's MRO, the suite class that
defines the test function; its ``group`` and ``__requires__`` apply. Class-level ``pytestmark`` cannot be used for
this, because pytest merges the marks of every class in the MRO.
"""

from __future__ import annotations

import pytest

SUITE_PACKAGE = "vectorstore_conformance.suite"


def is_suite_class(cls: type) -> bool:
    """A class of the suite itself (not an adapter's subclass)."""
    return cls.__module__ == SUITE_PACKAGE or cls.__module__.startswith(SUITE_PACKAGE + ".")


def suite_tests(cls: type) -> dict[str, type]:
    """Every suite test ``cls`` inherits, mapped to the suite class that defines it."""
    tests: dict[str, type] = {}
    for base in reversed(cls.__mro__):
        if is_suite_class(base):
            tests.update({name: base for name in vars(base) if name.startswith("test_")})
    return tests


def defining_class(item: pytest.Item) -> type | None:
    """The suite class that defines this item's test function (None for tests that are not from the suite)."""
    cls = getattr(item, "cls", None)
    name = getattr(item, "originalname", None)
    if cls is None or name is None:
        return None
    return suite_tests(cls).get(name)


def group_of(item: pytest.Item) -> str | None:
    """The suite group (``query``, ``filters``...) of a collected test, or None if it is not a suite test."""
    cls = defining_class(item)
    return None if cls is None else vars(cls).get("group", cls.__name__)


def required(item: pytest.Item) -> list[str]:
    """Capability names the test needs: its group's ``__requires__``, then its ``requires`` marks."""
    cls = defining_class(item)
    names = list(vars(cls).get("__requires__", ())) if cls is not None else []
    names += [name for mark in item.iter_markers("requires") for name in mark.args]
    return list(dict.fromkeys(names))


def group_order() -> list[str]:
    """The suite's group names in report order (imported late: the suite imports this module)."""
    from .suite import GROUPS

    return [vars(cls)["group"] for cls in GROUPS]
