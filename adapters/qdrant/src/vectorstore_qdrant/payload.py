"""The payload layout: how a record is stored in a Qdrant point's payload, and read back.

A point's payload is the record's metadata, key for key at the top level (so any Qdrant tool sees plain fields),
plus reserved fields whose names start with ``_vs_`` (a prefix metadata keys may not use)::

    {"title": "Dune", "year": 1965, "tags": ["sf", "classic"], "hardcover": true,
     "_vs_id": "book-1",                   # the original record id (the point id is derived from it)
     "_vs_doc": "A desert planet ...",     # the document, when the record has one
     "_vs_lists": ["tags"],                # metadata keys holding a list (Qdrant matches any list element)
     "_vs_norm": 1.7320508,                # cosine collections: the vector's norm before Qdrant normalised it
                                           # (left out for unit vectors, which come back as written)
     "_vs_dt_published": 1700000000000000, # a datetime value of "published", as epoch microseconds,
     "_vs_date_due": 738000}               # a date value of "due" as its ordinal (vectorstore.toolkit.times)

``_vs_lists`` lets filters tell ``{"tags": "sf"}`` (never matches a list) from ``{"tags": {"$contains": "sf"}}``;
``_vs_norm`` restores the vector the user wrote from Qdrant's unit vector. Booleans need nothing extra: every engine
matches them natively (qdrant-edge-py through ``numpy.bool_``, see :mod:`.edge`). Points written before that also
carry ``_vs_bools`` (a keyword shadow of their booleans); reading drops it, and filters never look at it.
"""

from __future__ import annotations

from typing import Any

from vectorstore.errors import InvalidRecord
from vectorstore.models import Metadata
from vectorstore.toolkit import times

RESERVED_PREFIX = "_vs_"
ID_FIELD = "_vs_id"
DOCUMENT_FIELD = "_vs_doc"
LISTS_FIELD = "_vs_lists"
#: Written by earlier versions (a keyword shadow of booleans); still dropped when reading their points.
LEGACY_BOOLS_FIELD = "_vs_bools"
NORM_FIELD = "_vs_norm"
#: Keyword-indexed at creation: nearly every filter tests ``_vs_lists``, and unindexed that costs ~10% per query.
INDEXED_FIELDS = (LISTS_FIELD,)


class Layout:
    """Builds payloads from records and records from payloads, for given id and document fields."""

    def __init__(self, id_field: str = ID_FIELD, document_field: str = DOCUMENT_FIELD) -> None:
        self.id_field = id_field
        self.document_field = document_field
        #: Non-reserved field names (migration-tool layout) that metadata keys must not shadow.
        self._claimed = frozenset({id_field, document_field}) - {ID_FIELD, DOCUMENT_FIELD}

    def payload(
        self, collection: str, record_id: str, document: str | None, metadata: Metadata, norm: float | None
    ) -> dict[str, Any]:
        metadata = times.encode(metadata)
        payload: dict[str, Any] = dict(metadata)
        lists = [key for key, value in metadata.items() if type(value) is list]
        if self._claimed and not self._claimed.isdisjoint(metadata):
            key = sorted(self._claimed.intersection(metadata))[0]
            raise InvalidRecord(
                f"collection {collection!r}, record {record_id!r}: metadata key {key!r} is the payload field this "
                "store uses for record ids or documents (id_field/document_field); rename the key",
                collection=collection,
                record_id=record_id,
                key=key,
            )
        payload[self.id_field] = record_id
        if document is not None:
            payload[self.document_field] = document
        if lists:
            payload[LISTS_FIELD] = lists
        if norm is not None:
            payload[NORM_FIELD] = norm
        return payload

    def read(
        self, payload: dict[str, Any] | None, point: Any, include: frozenset[str]
    ) -> tuple[str, str | None, Metadata | None, float | None]:
        """``(id, document, metadata, norm)`` of a point; ``payload`` is consumed (the engines hand out fresh dicts).

        Without an id field (points written by other tools) the id is the point id; ``point.id`` is read only then,
        since the engines build a ``uuid.UUID`` on each access. This runs once per result, right after the engine
        has swept the caches, so it pops the known fields instead of scanning every key.
        """
        if not payload:
            return str(point.id), None, {} if "metadata" in include else None, None
        record_id = payload.pop(self.id_field, None)
        document = payload.pop(self.document_field, None)
        norm = payload.pop(NORM_FIELD, None)
        metadata = None
        if "metadata" in include:
            payload.pop(LISTS_FIELD, None)
            payload.pop(LEGACY_BOOLS_FIELD, None)
            metadata = times.decode(payload)
        return (
            record_id if type(record_id) is str else str(point.id),
            document if type(document) is str and "document" in include else None,
            metadata,
            norm,
        )

    def fields(self, include: frozenset[str], norm: bool) -> list[str] | bool:
        """What to ask the engine for: the whole payload, or only the fields needed for ids (and the norm)."""
        if "metadata" in include:
            return True
        wanted = [self.id_field]
        if "document" in include:
            wanted.append(self.document_field)
        if norm and "vector" in include:
            wanted.append(NORM_FIELD)
        return wanted
