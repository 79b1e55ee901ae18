"""How a record is stored in Chroma: user metadata plus reserved ``_vs_`` fields, and a full replace in one upsert.

Reserved fields (hidden on read; users cannot write keys starting with ``_vs_``):

``_vs_keys``  the record's user keys (for ``$exists``); left out when there are none, since Chroma rejects ``[]``.
``_vs_num``   the keys holding an int or float scalar (for the complement of a range under ``$not``).
``_vs_nodoc`` ``True`` when the record has no document; the document is then stored as ``""``.

Full replace. Chroma's ``upsert`` merges metadata (a ``None`` value deletes a key) and keeps the old document when
none is given. Deleting and re-adding would replace, but a crash between the two steps would lose a record that was
acknowledged earlier. Instead the adapter reads the old metadata keys and sends *one* upsert whose metadata sets
every new key, nulls every old key that is gone, and always carries a document (``""`` plus ``_vs_nodoc`` for
none). One Chroma upsert is one log entry, so after a crash the record is either the old or the new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vectorstore.models import Metadata

from .filters import KEYS, NUMERIC_KEYS

RESERVED_PREFIX = "_vs_"
NO_DOCUMENT = "_vs_nodoc"

StoredMetadata = dict[str, Any]


def encode(metadata: Metadata, document: str | None, old_keys: frozenset[str] = frozenset()) -> StoredMetadata | None:
    """The metadata to upsert so that the stored record equals exactly ``metadata``/``document``.

    ``old_keys`` are the keys the stored record has now (user and reserved); those not set again are nulled.
    ``None`` means "no metadata", which Chroma wants instead of ``{}``.
    """
    stored: StoredMetadata = dict(metadata)
    if metadata:
        stored[KEYS] = sorted(metadata)
    numeric = sorted(key for key, value in metadata.items() if type(value) in (int, float))
    if numeric:
        stored[NUMERIC_KEYS] = numeric
    if document is None:
        stored[NO_DOCUMENT] = True
    for key in old_keys - stored.keys():
        stored[key] = None
    return stored or None


def stored_document(document: str | None) -> str:
    return "" if document is None else document


def decode(stored: Mapping[str, Any] | None) -> Metadata:
    """The user's metadata: reserved fields removed, ``{}`` for none, keys sorted.

    Chroma returns keys in an order that changes from call to call; sorting makes reads repeatable.
    """
    if not stored:
        return {}
    return {key: stored[key] for key in sorted(stored) if not key.startswith(RESERVED_PREFIX)}


def decode_document(document: str | None, stored: Mapping[str, Any] | None) -> str | None:
    return None if stored and stored.get(NO_DOCUMENT) else document
