"""The operation table is the one list of forwarded operations: every wrapper forwards exactly the table (with the
base signatures), the worker runs nothing outside it, and the test-only fault operation exists only when enabled."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import ClassVar

import pytest

from vectorstore.adapter import Adapter
from vectorstore.adapters.memory import MemoryAdapter
from vectorstore.errors import ConfigurationError, UnsupportedFeature
from vectorstore.healing import RefusingAdapter
from vectorstore.isolation import IsolatedAdapter
from vectorstore.isolation.faults import ARM, ENVIRONMENT_VARIABLE, FaultingAdapter
from vectorstore.operations import OPERATIONS, Op, operations_of

from .conftest import Opener
from .helpers import isolated

#: Base methods that are not forwarded operations: the wrapper's own lifecycle.
NOT_FORWARDED = {"close"}
WRAPPERS = (IsolatedAdapter, RefusingAdapter, FaultingAdapter)


def test_every_base_adapter_method_is_in_the_table() -> None:
    methods = {name for name, _ in inspect.getmembers(Adapter, inspect.isfunction) if not name.startswith("_")}
    assert methods - NOT_FORWARDED == set(OPERATIONS)


@pytest.mark.parametrize("wrapper", WRAPPERS, ids=lambda cls: cls.__name__)
def test_wrappers_forward_every_operation_with_the_base_signature(wrapper: type[Adapter]) -> None:
    for name in OPERATIONS:
        method = getattr(wrapper, name)
        assert method is not getattr(Adapter, name), f"{wrapper.__name__}.{name} is not forwarded"
        assert inspect.signature(method) == inspect.signature(getattr(Adapter, name)), name


def test_the_table_says_which_calls_a_worker_orders_per_collection() -> None:
    ordered = {name for name, op in OPERATIONS.items() if op.ordered}
    assert "create_index" in ordered  # idempotent, but it changes the collection: not overlapped like a read
    assert ordered == {
        "create_collection", "delete_collection", "upsert", "delete", "create_index", "native_ids", "repair", "compact"
    }


def test_keyword_arguments_are_forwarded_by_position(open_isolated: Opener) -> None:
    store = open_isolated()
    store.create_collection("docs", 4)
    with pytest.raises(UnsupportedFeature, match="cannot repair collection 'docs'"):  # the memory adapter's answer
        isolated(store).repair(name="docs", force=True)
    assert isolated(store).count(name="docs", where=None) == 0


def test_the_worker_runs_nothing_outside_the_table(open_isolated: Opener) -> None:
    supervisor = isolated(open_isolated())._supervisor
    with pytest.raises(ValueError, match="unknown isolation request 'close'"):
        supervisor.call("close", Op(idempotent=True, collection_arg=False), ())
    assert supervisor.call("list_collections", OPERATIONS["list_collections"], ()) == []  # still in step


def test_the_fault_operation_exists_only_when_enabled(open_isolated: Opener, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ARM in isolated(open_isolated())._supervisor.extensions
    monkeypatch.delenv(ENVIRONMENT_VARIABLE)
    supervisor = isolated(open_isolated())._supervisor
    assert supervisor.extensions == {}
    with pytest.raises(ValueError, match=f"unknown isolation request '{ARM}'"):
        supervisor.call(ARM, Op(idempotent=False, collection_arg=False), (None,))


class _Declaring(MemoryAdapter):
    """A reference adapter with one real extension."""

    name = "declaring"
    extensions: ClassVar[Mapping[str, Op]] = {"vacuum": Op(idempotent=True)}

    def vacuum(self, name: str) -> int:
        return 0


class _Missing(MemoryAdapter):
    name = "missing"
    extensions: ClassVar[Mapping[str, Op]] = {"vacuum": Op(idempotent=True)}


class _Shadowing(MemoryAdapter):
    name = "shadowing"
    extensions: ClassVar[Mapping[str, Op]] = {"upsert": Op(idempotent=False)}


def test_an_adapters_extensions_join_the_table() -> None:
    assert operations_of(_Declaring()) == {**OPERATIONS, "vacuum": Op(idempotent=True)}
    assert operations_of(MemoryAdapter()) == OPERATIONS


@pytest.mark.parametrize(
    ("adapter", "message"),
    [(_Missing, "lists 'vacuum' in its extensions but has no method"), (_Shadowing, "base operation 'upsert'")],
)
def test_a_wrong_extension_is_a_configuration_error_naming_it(adapter: type[Adapter], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        operations_of(adapter())
