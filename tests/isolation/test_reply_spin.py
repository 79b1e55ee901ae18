"""How long a lone call polls for its reply is a store setting (``reply_spin_ms``, a URL/TOML option) that reaches
the policy; a bad value is refused before any worker starts."""

from __future__ import annotations

import pytest

from vectorstore.config import resolve
from vectorstore.errors import ConfigurationError
from vectorstore.isolation import IsolatedAdapter, IsolationPolicy


@pytest.mark.parametrize(
    ("option", "expected"), [({"reply_spin_ms": 10}, 10.0), ({"reply_spin_ms": "2.5"}, 2.5), ({}, 0.0)]
)
def test_the_option_reaches_the_policy(option: dict[str, object], expected: float) -> None:
    adapter = IsolatedAdapter(resolve("memory://", isolation="process", **option))
    try:
        assert adapter._supervisor.policy.reply_spin_ms == expected
    finally:
        adapter.close()
    assert IsolationPolicy().reply_spin_ms == 0.0


def test_a_negative_spin_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="reply_spin_ms"):
        resolve("memory://?reply_spin_ms=-1")
