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
                    :data:`EXTRAS`, decoded on read, and cannot be filtered on. ``None`` values are the core's
                    to decide (DESIGN 3.1)
``blob``            base64 bytes, mime type and meta in :data:`EXTRAS`
``sparse_embedding`` indices and values in :data:`EXTRAS`: returned as written, not searchable here
``score``           not stored (a retrieval result, not data)
==================  ===========================================================================================

Meta keys starting with :data:`RESERVED_PREFIX` are refused, so the bookkeeping keys cannot be forged.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
from haystack.dataclasses import ByteStream, Document, SparseEmbedding

from ...errors import InvalidRecord
from ...models import Match, Record
from .._values import storable

#: Meta keys with this prefix belong to the integration.
RESERVED_PREFIX = "_haystack"
#: Present (True) on records written from a document without an embedding.
NO_EMBEDDING = "_haystack_no_embedding"
#: A JSON object: ``json`` (meta keys stored as JSON strings), ``blob``, ``sparse``.
EXTRAS = "_haystack_extras"


def placeholder(dimension: int) -> np.ndarray:
    """The vector of a document without an embedding: a unit vector (valid under every metric), never searched."""
    vector = np.zeros(dimension, dtype=np.float32)
    vector[0] = 1.0
    return vector


def encode(document: Document, dimension: int, collection: str) -> tuple[np.ndarray, dict[str, Any]]:
    """The vector and metadata of one document; raises :class:`InvalidRecord` naming the id and key."""
    metadata: dict[str, Any] = {}
    as_json: list[str] = []
    for key, value in document.meta.items():
        if isinstance(key, str) and key.startswith(RESERVED_PREFIX):
            raise InvalidRecord(
                f"collection {collection!r}, document {document.id!r}: meta key {key!r} uses the prefix "
                f"{RESERVED_PREFIX!r} reserved by the Haystack integration; rename it",
                collection=collection,
            )
        if value is None or storable(value):
            metadata[key] = value  # None: the core's rule (refused, or "no value")
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
