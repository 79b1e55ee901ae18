"""Capability requirements, modelled on SQLAlchemy's ``testing.requirements``.

Each requirement is a property of :class:`Requirements` that reads the store's declared
:class:`~vectorstore.models.Capabilities` and has a one-line docstring saying what it means; the docstring is what
the skip reason and the run summary print. Tests name what they need with ``@requires("persistent")`` (or a group
class's ``__requires__``); when the store lacks it, the test is skipped as ``unsupported: <name>``, never passed.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from vectorstore.models import Capabilities, Metric

SKIP_PREFIX = "unsupported: "


def _metric(metric: Metric) -> property:
    def supported(self: Requirements) -> bool:
        return metric in self.capabilities.metrics

    return property(supported, doc=f"collections can use the {metric!r} metric.")


def _operator(operator: str) -> property:
    def supported(self: Requirements) -> bool:
        return operator in self.capabilities.filter_operators

    return property(supported, doc=f"the adapter evaluates {operator} filters exactly.")


class Requirements:
    """What a store supports, one property per capability a suite test can require."""

    def __init__(self, capabilities: Capabilities) -> None:
        self.capabilities = capabilities

    metric_cosine = _metric("cosine")
    metric_dot = _metric("dot")
    metric_l2 = _metric("l2")

    filter_eq = _operator("$eq")
    filter_ne = _operator("$ne")
    filter_gt = _operator("$gt")
    filter_gte = _operator("$gte")
    filter_lt = _operator("$lt")
    filter_lte = _operator("$lte")
    filter_in = _operator("$in")
    filter_nin = _operator("$nin")
    filter_exists = _operator("$exists")
    filter_contains = _operator("$contains")
    filter_and = _operator("$and")
    filter_or = _operator("$or")
    filter_not = _operator("$not")

    @property
    def document_contains(self) -> bool:
        """the adapter evaluates document={"$contains": text} filters exactly."""
        return self.capabilities.document_contains

    @property
    def persistent(self) -> bool:
        """the store keeps its data when closed and reopened at the same URL."""
        return self.capabilities.persistent

    @property
    def single_owner(self) -> bool:
        """one process owns the persistent path: a second process opening it gets StoreLocked (not a server)."""
        caps = self.capabilities
        return caps.persistent and not caps.server and not caps.multi_process_safe

    @property
    def approximate_search(self) -> bool:
        """search is approximate (capabilities.exact_search is false), so recall is measured against exact search."""
        return not self.capabilities.exact_search

    @property
    def thread_safe(self) -> bool:
        """one store object may be used from several threads at once."""
        return self.capabilities.thread_safe

    @classmethod
    def names(cls) -> list[str]:
        """Every requirement, in a stable order."""
        return sorted(name for name, value in vars(cls).items() if isinstance(value, property))

    @classmethod
    def describe(cls, name: str) -> str:
        """The requirement's one-line docstring."""
        return (getattr(cls, name).__doc__ or name).strip().rstrip(".")

    def unmet(self, names: Iterable[str]) -> list[str]:
        """The names among ``names`` this store does not support, in the order given."""
        return [name for name in dict.fromkeys(names) if not getattr(self, name)]

    def unsupported(self) -> list[str]:
        """Every requirement this store does not support."""
        return self.unmet(self.names())


def operator_requirement(operator: str) -> str:
    """The requirement name of a filter operator (``$not`` -> ``filter_not``); ``$document`` is document_contains."""
    return "document_contains" if operator == "$document" else f"filter_{operator.lstrip('$')}"


def requires(*names: str) -> pytest.MarkDecorator:
    """Mark a test (or a ``pytest.param``) as needing these capabilities; unknown names fail at import time."""
    known = set(Requirements.names())
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown requirement(s) {unknown}; known: {', '.join(sorted(known))}")
    return pytest.mark.requires(*names)


#: ``@pytest.mark.parametrize("metric", METRIC_PARAMS)``: one case per metric, each requiring it.
METRIC_PARAMS = [pytest.param(m, marks=requires(f"metric_{m}"), id=m) for m in ("cosine", "dot", "l2")]


def skip_reason(unmet: list[str]) -> str:
    """``unsupported: persistent (the store keeps ...)``: the capability names come first so reports can parse them."""
    details = "; ".join(f"{name} ({Requirements.describe(name)})" for name in unmet)
    return f"{SKIP_PREFIX}{details}"
