"""The shadow part of a configuration: which store shadows the primary, how much of the reads to mirror, where the
journal lives.

A configuration names the shadow with a ``shadow`` key, either a URL (all defaults) or a table::

    [vectorstore]
    url = "chroma:///data/chroma"

    [vectorstore.shadow]
    url = "qdrant:///data/qdrant"
    mirror_fraction = 0.1

Each store's own options belong in its URL's query string (``chroma:///data/chroma?isolation=process``), so that
``vectorstore cutover``, which swaps the two ``url`` values, moves every option with its store.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigurationError

DEFAULT_DIRECTORY = Path(".vectorstore") / "shadow"


class ShadowSettings(BaseModel):
    """How a shadowed store treats its shadow (docs/configuration.md, "Shadowing a store")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The store every acknowledged write is replayed to and a sample of reads is compared with.
    url: str
    #: Fraction of ``query``/``search`` calls re-run on the shadow in the background (0 turns mirroring off).
    mirror_fraction: float = Field(default=0.0, ge=0.0, le=1.0)
    #: The journal file; by default one per pair of stores under ``./.vectorstore/shadow/`` (the same file after a
    #: cutover, since the name does not depend on which store is the primary).
    journal: Path | None = None
    #: ``normal`` survives the process being killed (SIGKILL, a crash); ``full`` also a power cut, at an fsync per
    #: write.
    journal_sync: Literal["normal", "full"] = "normal"
    #: Width of the time windows mirrored-read statistics are rolled up in, in seconds.
    window_s: float = Field(default=60.0, gt=0)
    #: Mirrored reads waiting for the shadow; when full, new samples are dropped (the caller never waits).
    mirror_queue: int = Field(default=64, ge=1)
    #: Seed of the sampling of mirrored reads (reproducible runs).
    seed: int | None = None

    def journal_path(self, primary_url: str, shadow_url: str) -> Path:
        """The journal file of this pair of stores (both URLs as resolved, so a cutover keeps the same file)."""
        if self.journal is not None:
            return self.journal
        return default_journal(primary_url, shadow_url)


def default_journal(first: str, second: str, directory: Path = DEFAULT_DIRECTORY) -> Path:
    """``<directory>/<hash of the two URLs in sorted order>.sqlite``: the same file whichever store is primary."""
    key = hashlib.sha256("\0".join(sorted((first, second))).encode("utf-8")).hexdigest()[:24]
    return directory / f"{key}.sqlite"


def existing_journal(first: str, second: str) -> Path | None:
    """The default journal of a shadowed pair of stores (URLs as resolved), if such a pair has one here."""
    path = default_journal(first, second)
    return path if path.exists() else None


def shadow_settings(value: Any, source: str) -> ShadowSettings:
    """The ``shadow`` key of a configuration (a URL or a table) as settings, or a ConfigurationError naming it."""
    table = {"url": value} if isinstance(value, str) else value
    if not isinstance(table, dict):
        raise ConfigurationError(f"{source}: 'shadow' must be a store URL or a table with a 'url', got {value!r}")
    try:
        return ShadowSettings(**table)
    except ValidationError as exc:
        problems = "; ".join(f"shadow.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"invalid shadow configuration ({source}): {problems}") from None
