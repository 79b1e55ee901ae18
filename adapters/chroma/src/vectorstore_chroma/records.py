"""How a record is stored in Chroma: user metadata plus reserved ``_vs_`` fields, and a full replace in one upsert.

Reserved fields (hidden on read; users cannot write keys starting with ``_vs_``):

``_vs_num_<key>``  one per user key: ``True`` when the key holds an int or float scalar, ``False`` for anything else.
                   It says which keys are present (``$exists``) and which are not numbers (the complement of a range
                   under ``$not``). Scalar flags rather than lists of key names: Chroma writes list values about
                   25% slower (4-key records, median of 3 runs of 3,000).
``_vs_nodoc``      ``True`` when a *replaced* record has no document; its document is then stored as ``""``.
``_vs_dt_<key>``   a datetime value of ``key`` (which is then not stored itself), as epoch microseconds;
``_vs_date_<key>`` a date value, as its ordinal (:mod:`vectorstore.toolkit.times`). Each is an ordinary int field
                   to the rest of this module, with its own ``_vs_num_`` flag.

Full replace. Chroma's ``upsert`` merges metadata (a ``None`` value deletes a key) and keeps the old document when
none is given. Deleting and re-adding would replace, but a crash between the two steps would lose a record that was
acknowledged earlier. Instead the adapter reads the keys of the records that exist already and sends *one* upsert
whose metadata sets every new key and nulls every old key that is gone, and whose document replaces the old one
(``""`` plus ``_vs_nodoc`` for none, since ``None`` would keep it). A Chroma upsert of up to ``max_batch`` records is
one multi-row insert into its SQLite log (5,461 = SQLite's 32,767 variables / 6 per record), so after a crash each
record is either the old or the new one. New records keep ``None``
documents as they are (cheaper: no full-text entry).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vectorstore.models import Metadata
from vectorstore.toolkit import times

RESERVED_PREFIX = "_vs_"
NUMBER_FLAG_PREFIX = "_vs_num_"
NO_DOCUMENT = "_vs_nodoc"

StoredMetadata = dict[str, Any]


def number_flag(key: str) -> str:
    """The reserved field saying whether ``key`` is present and holds a number."""
    return NUMBER_FLAG_PREFIX + key


def encode(metadata: Metadata, document: str | None, old_keys: frozenset[str] | None) -> StoredMetadata | None:
    """The metadata to upsert so that the stored record equals exactly ``metadata``/``document``.

    ``old_keys`` are the stored record's keys (user and reserved), or ``None`` for a new record; old keys that are
    not set again are nulled. ``None`` means "no metadata", which Chroma wants instead of ``{}``.
    """
    metadata = times.encode(metadata)
    stored: StoredMetadata = dict(metadata)
    for key, value in metadata.items():
        stored[number_flag(key)] = type(value) in (int, float)
    if document is None and old_keys is not None:
        stored[NO_DOCUMENT] = True
    for key in (old_keys or frozenset()) - stored.keys():
        stored[key] = None
    return stored or None


def stored_document(document: str | None, replacing: bool) -> str | None:
    """The document to send: ``""`` replaces an old document where ``None`` would keep it."""
    return "" if document is None and replacing else document


def decode(stored: Mapping[str, Any] | None) -> Metadata:
    """The user's metadata: datetimes and dates restored, reserved fields removed, ``{}`` for none, keys sorted.

    Chroma returns keys in an order that changes from call to call; sorting makes reads repeatable.
    """
    if not stored:
        return {}
    decoded = times.decode(dict(stored))
    return {key: decoded[key] for key in sorted(decoded) if not key.startswith(RESERVED_PREFIX)}


def decode_document(document: str | None, stored: Mapping[str, Any] | None) -> str | None:
    return None if stored and stored.get(NO_DOCUMENT) else document
