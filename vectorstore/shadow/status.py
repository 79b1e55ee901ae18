"""``vectorstore shadow status`` and ``vectorstore cutover``: is the shadow ready, and swapping the two roles.

Status reads only the journal (no store is opened), so it works while the application holds both stores, from any
process: the applier publishes its counters, the primary's collections and the mirrored-read statistics there.
Cutover needs both stores readable to verify them, so it runs where nothing else holds them (stop the application,
or point both URLs at servers): it opens the shadowed configuration, waits for the journal to drain, verifies every
collection (counts, every id both ways, a sample field by field), and only then swaps the two ``url`` values in
the configuration file. The journal's name does not depend on which store is primary, so the next open replays in
the other direction, and running cutover again is the rollback.
"""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..errors import ConfigurationError, VectorStoreError
from ..migration.trial import RECALL_THRESHOLD
from .journal import Journal
from .settings import ShadowSettings

#: A shadow whose oldest unapplied write is older than this is lagging, in seconds.
READY_LAG_S = 5.0
#: An applier that has not published for this long is not running (its last report is shown as it is).
STALE_REPORT_S = 10.0


class Status(BaseModel):
    primary: str | None
    shadow: str | None
    journal: str
    lag_writes: int
    lag_seconds: float
    cursor: int
    head: int
    applier: dict[str, Any] = Field(default_factory=dict)
    mirror: dict[str, Any] | None = None
    collections: list[str] = Field(default_factory=list)
    synced: list[str] = Field(default_factory=list)
    backfills: list[dict[str, Any]] = Field(default_factory=list)
    ready: bool = False
    reasons: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def read_status(path: Path) -> Status:
    """The state a journal holds, with the verdict: ready, or not ready and why."""
    if not path.exists():
        raise ConfigurationError(f"no shadow journal at {path}: open the shadowed configuration first")
    journal = Journal(path)
    try:
        cursor = journal.cursor()
        depth, oldest = journal.depth(cursor)
        backfills = journal.backfills()
        done = {b.collection for b in backfills if b.status == "done"}
        live = set(journal.get_state("created_live", []))
        status = Status(
            primary=journal.get_state("primary"), shadow=journal.get_state("shadow"), journal=str(path),
            lag_writes=depth, lag_seconds=round(time.time() - oldest, 3) if oldest else 0.0, cursor=cursor,
            head=journal.head(), applier=journal.get_state("applier", {}), mirror=journal.get_state("mirror"),
            collections=journal.get_state("collections", []), synced=sorted(done | live),
            backfills=[{"id": b.id, "collection": b.collection, "status": b.status, **b.detail} for b in backfills],
        )
    finally:
        journal.close()
    status.reasons, status.notes = verdict(status)
    status.ready = not status.reasons
    return status


def verdict(status: Status) -> tuple[list[str], list[str]]:
    """(reasons it is not ready, notes that do not block)."""
    reasons, notes = [], []
    applier = status.applier
    if status.lag_writes and status.lag_seconds > READY_LAG_S:
        reasons.append(f"lagging: {status.lag_writes} writes not on the shadow, the oldest {status.lag_seconds:.1f} s old")
    if applier.get("consecutive_errors"):
        reasons.append(f"replay failing ({applier['consecutive_errors']} attempts in a row): {applier.get('last_error')}")
    if applier.get("uncertain_writes"):
        reasons.append(
            f"{applier['uncertain_writes']} writes failed on the primary with an unknown outcome; run a backfill of "
            "the collections concerned (vectorstore shadow backfill)"
        )
    missing = sorted(set(status.collections) - set(status.synced))
    if missing:
        reasons.append(f"not backfilled yet: {', '.join(missing)} (vectorstore shadow backfill -c NAME)")
    for item in status.backfills:
        if item["status"] in ("requested", "copying", "replaying"):
            reasons.append(f"backfill of {item['collection']} is {item['status']}")
    for item in (status.mirror or {}).get("slices", []):
        mean = item.get("overlap_mean")
        if mean is not None and mean < RECALL_THRESHOLD:
            reasons.append(
                f"mirrored reads on {item['collection']} ({_shape(item)}): overlap@{item['k']} {mean:.3f} is below "
                f"{RECALL_THRESHOLD}"
            )
    if not (status.mirror or {}).get("counts", {}).get("compared"):
        notes.append("no mirrored read compared yet (set shadow.mirror_fraction, or send queries)")
    published = applier.get("published_at")
    if published is None or time.time() - published > STALE_REPORT_S:
        notes.append("no application is reporting now; these are the last values it published")
    return reasons, notes


def _shape(item: dict[str, Any]) -> str:
    return "unfiltered" if item.get("where") is None else str(item["where"])


# -- cutover --------------------------------------------------------------------------------------------------

_URL_LINE = re.compile(r"^(\s*(url|shadow)\s*=\s*)(\"[^\"]*\"|'[^']*')(.*)$")


def _table(config: dict[str, Any]) -> dict[str, Any]:
    return config.get("vectorstore", config)


def check_swappable(config: dict[str, Any], path: Path) -> tuple[str, str]:
    """The two URLs; refuses a configuration with options outside the URLs, which a swap would give the wrong store."""
    table = _table(config)
    shadow = table.get("shadow")
    if "url" not in table or shadow is None:
        raise ConfigurationError(f"{path}: no shadowed store here (needs url and a shadow)")
    shadow_url = shadow if isinstance(shadow, str) else shadow.get("url")
    others = sorted(set(table) - {"url", "shadow"})
    if others:
        raise ConfigurationError(
            f"{path}: cutover swaps the two url values, so every store option must be in its URL; move "
            f"{', '.join(others)} into the query string of the store it belongs to (e.g. url = \"chroma:///data?isolation=process\")"
        )
    return table["url"], shadow_url


def swapped_text(text: str, primary: str, shadow: str) -> str:
    """The file's text with the two URL values exchanged, everything else (comments, order) as it was."""
    lines = text.splitlines(keepends=True)
    found = {}
    section = ""
    for number, line in enumerate(lines):
        header = re.match(r"^\s*\[([^\]]+)\]", line)
        if header:
            section = header.group(1).strip()
            continue
        match = _URL_LINE.match(line.rstrip("\n"))
        if match and tomllib.loads(f"v = {match.group(3)}")["v"] in (primary, shadow):
            found[(section, match.group(2))] = (number, match)
    edits = 0
    for (section, key), (number, match) in found.items():
        value = tomllib.loads(f"v = {match.group(3)}")["v"]
        other = shadow if value == primary else primary
        ending = "\n" if lines[number].endswith("\n") else ""
        lines[number] = f'{match.group(1)}"{other}"{match.group(4)}{ending}'
        edits += 1
    result = "".join(lines)
    after = tomllib.loads(result)
    if edits != 2 or check_swappable(after, Path("(swapped)")) != (shadow, primary):
        raise ConfigurationError("could not find both url lines to swap; swap the two url values by hand")
    return result


class CutoverResult(BaseModel):
    config: str
    primary_before: str
    primary_after: str | None = None
    drained: bool = False
    verified: bool = False
    differences: list[str] = Field(default_factory=list)
    forced: bool = False
    swapped: bool = False
    refused: str | None = None


def cutover(path: Path, *, force: bool = False, drain_timeout_s: float = 300.0, sample: int = 1000) -> CutoverResult:
    """Drain, verify and swap (see the module docstring); with ``force`` a lagging or differing shadow is swapped in
    anyway (the reasons are still reported)."""
    from .. import open as open_store
    from ..migration import verify
    from .store import ShadowedStore

    text = path.read_text(encoding="utf-8")
    config = tomllib.loads(text)
    primary_url, shadow_url = check_swappable(config, path)
    result = CutoverResult(config=str(path), primary_before=primary_url, forced=force)
    store = open_store(config=_table(config))
    try:
        assert isinstance(store, ShadowedStore)
        result.drained = store.wait_caught_up(drain_timeout_s)
        if result.drained:
            with open_store(store.settings.url) as shadow:  # shares the applier's handle if it has one open
                report = verify(store.primary, shadow, sample=sample)
            result.verified = report.ok
            for item in report.collections:
                if item.error:
                    result.differences.append(f"{item.collection}: {item.error}")
                elif item.verify and not item.verify.ok:
                    result.differences += [f"{item.collection}: {p.kind} {p.id or ''}: {p.detail}"
                                           for p in item.verify.differences]
    except VectorStoreError:
        store.close()
        raise
    store.close()
    if not result.drained:
        result.refused = f"the journal did not drain within {drain_timeout_s:.0f} s (the shadow is lagging or down)"
    elif not result.verified:
        result.refused = f"verification found {len(result.differences)} differences"
    if result.refused and not force:
        return result
    path.write_text(swapped_text(text, primary_url, shadow_url), encoding="utf-8")
    result.swapped, result.primary_after = True, shadow_url
    return result


def journal_of(config: dict[str, Any]) -> Path:
    """The journal file a configuration's shadowed store uses."""
    from ..config import resolve

    table = _table(config)
    resolved = resolve(config=table)
    settings: ShadowSettings | None = resolved.shadow
    if settings is None:
        raise ConfigurationError("this configuration has no shadow")
    return settings.journal_path(resolved.url, resolve(settings.url).url)
