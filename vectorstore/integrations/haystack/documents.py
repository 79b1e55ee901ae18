"""Haystack ``Document`` <-> our record: what is stored where, and how it comes back equal.

==================  ===========================================================================================
Document field      stored as
==================  ===========================================================================================
``id``              the record id, as given
``content``         the record's document (``None`` stays ``None``)
``embedding``       the vector (float32, DESIGN 3.1). A document without one gets a placeholder unit vector and
                    the marker key :data:`NO_EMBEDDING`, so embedding retrieval never returns it
``meta``            metadata. Values the core takes (str, int, float, bool, a non-empty list of one of those)
                    are stored as they are and can be filtered; anything else JSON-serialisable (dicts such as
                    ``_split_overlap``, empty or mixed lists) is stored as a JSON string, listed in
                    :data:`EXTRAS`, decoded on read, and cannot be filtered on. ``None`` values are not
                    stored (the core's "no value", so ``== None`` matches them); their keys are listed in
                    :data:`EXTRAS` and come back as ``None``, whatever the store's ``none_values``. A string that is
                    an ISO-8601 date or datetime is stored as it is *and* as a datetime in the companion key
                    :func:`datetime_key` (naive values taken as UTC, a bare date as its midnight UTC), so ordering
                    comparisons with ISO strings run in the backend on instants, while documents come back equal
``blob``            base64 bytes, mime type and meta in :data:`EXTRAS`
``sparse_embedding`` indices and values in :data:`EXTRAS`: returned as written, not searchable here
``score``           not stored (a retrieval result, not data)
==================  ===========================================================================================

Meta keys starting with :data:`RESERVED_PREFIX` are refused, so the bookkeeping keys cannot be forged.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
from haystack.dataclasses import ByteStream, Document, SparseEmbedding

from ...errors import InvalidRecord
from ...models import Match, Record
from ...validation import scalar_problem
from .._values import storable

#: Meta keys with this prefix belong to the integration.
RESERVED_PREFIX = "_haystack"
#: Present (True) on records written from a document without an embedding.
NO_EMBEDDING = "_haystack_no_embedding"
#: A JSON object: ``json`` (meta keys stored as JSON strings), ``blob``, ``sparse``.
EXTRAS = "_haystack_extras"


def datetime_key(key: str) -> str:
    """The companion key holding the datetime of an ISO-8601 string stored under ``key``."""
    return f"{RESERVED_PREFIX}_dt_{key}"


def iso_datetime(value: str) -> dt.datetime | None:
    """The instant an ISO-8601 string names (naive: UTC; a bare date: its midnight UTC), ``None`` if it names none
    the core can store. Haystack's own test (``YYYY-MM-DD`` then the end, ``T`` or a space) comes first, so plain
    strings cost a few character checks."""
    if not (
        len(value) >= 10
        and value[:4].isdigit()
        and value[4] == "-"
        and value[5:7].isdigit()
        and value[7] == "-"
        and value[8:10].isdigit()
        and (len(value) == 10 or value[10] in {"T", "t", " "})
    ):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return None if scalar_problem(parsed) else parsed


def placeholder(dimension: int) -> np.ndarray:
    """The vector of a document without an embedding: a unit vector (valid under every metric), never searched."""
    vector = np.zeros(dimension, dtype=np.float32)
    vector[0] = 1.0
    return vector


def encode(document: Document, dimension: int, collection: str) -> tuple[np.ndarray, dict[str, Any]]:
    """The vector and metadata of one document; raises :class:`InvalidRecord` naming the id and key."""
    metadata: dict[str, Any] = {}
    as_json: list[str] = []
    as_none: list[str] = []
    for key, value in document.meta.items():
        if isinstance(key, str) and key.startswith(RESERVED_PREFIX):
            raise InvalidRecord(
                f"collection {collection!r}, document {document.id!r}: meta key {key!r} uses the prefix "
                f"{RESERVED_PREFIX!r} reserved by the Haystack integration; rename it",
                collection=collection,
            )
        if value is None:
            as_none.append(key)
            continue
        if storable(value):
            metadata[key] = value
            instant = iso_datetime(value) if type(value) is str else None
            if instant is not None:
                metadata[datetime_key(key)] = instant
            continue
        try:
            metadata[key] = json.dumps(value, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidRecord(
                f"collection {collection!r}, document {document.id!r}: meta key {key!r} holds "
                f"{type(value).__name__} that is not JSON-serialisable ({exc}); Haystack requires JSON meta",
                collection=collection,
            ) from None
        as_json.append(key)
    extras: dict[str, Any] = {}
    if as_json:
        extras["json"] = as_json
    if as_none:
        extras["none"] = as_none
    if document.blob is not None:
        blob = document.blob
        extras["blob"] = {
            "data": base64.b64encode(blob.data).decode("ascii"),
            "mime_type": blob.mime_type,
            "meta": blob.meta,
        }
    if document.sparse_embedding is not None:
        extras["sparse"] = document.sparse_embedding.to_dict()
    if extras:
        metadata[EXTRAS] = json.dumps(extras, sort_keys=True)
    if document.embedding is None:
        metadata[NO_EMBEDDING] = True
        return placeholder(dimension), metadata
    return np.asarray(document.embedding, dtype=np.float32), metadata


def decode(item: Record | Match, *, with_embedding: bool = True, score: float | None = None) -> Document:
    """The Haystack document a record holds (the inverse of :func:`encode`)."""
    metadata: Mapping[str, Any] = item.metadata or {}
    extras = json.loads(metadata[EXTRAS]) if EXTRAS in metadata else {}
    as_json = set(extras.get("json", ()))
    meta = {
        key: json.loads(value) if key in as_json else value
        for key, value in metadata.items()
        if not key.startswith(RESERVED_PREFIX)
    }
    meta.update(dict.fromkeys(extras.get("none", ())))
    blob = None
    if "blob" in extras:
        stored = extras["blob"]
        blob = ByteStream(data=base64.b64decode(stored["data"]), mime_type=stored["mime_type"], meta=stored["meta"])
    sparse = SparseEmbedding.from_dict(extras["sparse"]) if "sparse" in extras else None
    embedding = None
    if with_embedding and item.vector is not None and not metadata.get(NO_EMBEDDING, False):
        embedding = list(item.vector)
    return Document(
        id=item.id,
        content=item.document,
        blob=blob,
        meta=meta,
        score=score,
        embedding=embedding,
        sparse_embedding=sparse,
    )
