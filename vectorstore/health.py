"""What ``vectorstore doctor`` finds and what ``--repair`` restores (DESIGN 5: acknowledged writes stay reachable).

A kill in the middle of a backend's own write can leave its files inconsistent: chromadb 1.5.9 then fails every
call on the collection, ``count()`` included, in every later process (issue 11). The doctor checks each collection
(inside an isolated worker, so a check that crashes the backend cannot crash the host) and an adapter that can
rebuild a damaged collection implements :meth:`vectorstore.adapter.Adapter.repair`, reporting what it restored
and, by id, what it could not.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["healthy", "damaged", "quarantined"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Check(_Frozen):
    """One probe of a collection (open, count, sample get with vectors, query, filtered query, index files)."""

    name: str
    ok: bool
    #: The native error, or what was wrong with the answer, when the check failed.
    error: str | None = None


class CollectionHealth(_Frozen):
    """The doctor's verdict on one collection."""

    collection: str
    status: Status
    checks: list[Check] = Field(default_factory=list)
    #: Records the collection reported (None when counting failed).
    count: int | None = None


class RepairReport(_Frozen):
    """What :meth:`~vectorstore.adapter.Adapter.repair` did to one collection."""

    collection: str
    #: Records that must be there (every acknowledged write still live), from the adapter's recovery source.
    expected: int
    #: Records written to the rebuilt collection and verified one by one (vector, document, metadata).
    restored: int
    #: Ids that must be there but could not be restored (their data is gone); empty when the repair is complete.
    missing_ids: list[str] = Field(default_factory=list)
    #: Where the recovered data came from, in words (e.g. "chroma write-ahead log, 21,000 entries").
    source: str = ""
    seconds: float = 0.0
    #: Whether the rebuilt collection replaced the damaged one. A repair that would lose ids does not, unless forced:
    #: the damaged collection stays as it was, so what is still readable there can be salvaged first.
    replaced: bool = True

    @property
    def complete(self) -> bool:
        return not self.missing_ids and self.restored == self.expected
