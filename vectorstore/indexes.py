"""Payload indexes: the kinds a metadata key can be indexed as, their validation, and inference from metadata.

An index is a declaration that a collection's records are filtered on ``key`` with values of one kind. Backends
with payload indexes (Qdrant: ``Capabilities.payload_indexes``) build one, which makes filters on the key read the
index instead of every record's payload (and is what Qdrant's strict mode requires before it filters at all);
backends without the notion (Chroma, memory) record the declaration and list it, so code and migrations stay the
same everywhere. An index never changes what a filter matches: indexed and unindexed collections answer alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, cast, get_args

from . import validation
from .errors import InvalidInput

IndexKind = Literal["keyword", "integer", "float", "bool"]
#: The valid kinds, in the order error messages list them.
INDEX_KINDS: tuple[IndexKind, ...] = get_args(IndexKind)


def kind(value: Any, key: str) -> IndexKind:
    """``value`` as an index kind, or ``InvalidInput`` naming the key and the valid kinds."""
    if value not in INDEX_KINDS:
        raise InvalidInput(
            f"index on {key!r}: unknown kind {value!r}; use one of {', '.join(map(repr, INDEX_KINDS))}"
        )
    return cast(IndexKind, value)


def declaration(key: Any, value: Any, where: str) -> tuple[str, IndexKind]:
    """One ``key -> kind`` pair, validated like a metadata key (reserved and malformed keys are refused)."""
    checked = validation.metadata_key(key, where)
    return checked, kind(value, checked)


def indexes(value: Mapping[str, Any] | None, where: str) -> dict[str, IndexKind]:
    """A whole ``{key: kind}`` mapping, validated before anything is created (``None`` is no indexes)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{where}: indexes must be a mapping of metadata key to kind, e.g. {{'year': 'integer'}}")
    return dict(declaration(key, kind_, where) for key, kind_ in value.items())


def infer(metadatas: Iterable[Mapping[str, Any]]) -> dict[str, IndexKind]:
    """The index kind each key's values call for, from sample metadata; keys whose values mix kinds are left out.

    Strings are ``keyword``, bools ``bool``, integers ``integer``, and a key holding any float is ``float``
    (integers included: a float index serves both); list values count by their elements. Other values (datetimes)
    have no kind here and leave their key out.
    """
    seen: dict[str, set[str]] = {}
    for metadata in metadatas:
        for key, value in metadata.items():
            for element in value if isinstance(value, list) else (value,):
                seen.setdefault(key, set()).add(_kind_of(element))
    inferred: dict[str, IndexKind] = {}
    for key, kinds in sorted(seen.items()):
        if kinds <= {"integer", "float"}:
            kinds = {"float"} if "float" in kinds else kinds
        if len(kinds) == 1 and (only := next(iter(kinds))) in INDEX_KINDS:
            inferred[key] = cast(IndexKind, only)
    return inferred


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    return "keyword" if isinstance(value, str) else type(value).__name__
