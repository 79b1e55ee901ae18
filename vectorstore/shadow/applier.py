"""The applier: one background thread per shadowed store that replays the journal onto the shadow, in order.

It never runs on the caller's path. It opens the shadow lazily and keeps retrying with a capped backoff while the
shadow is unavailable (locked by another process, a crashing worker, a server that is down): the journal simply
grows, and drains when the shadow is back. It only applies *settled* entries (those whose primary call has
returned), so the shadow never gets a write the primary refused. After each applied group it records the cursor
in the journal; a kill between applying and recording means the group is applied again on restart, which changes
nothing (see :mod:`.replay`).

It also serves backfills (:mod:`.backfill`): it rewinds the cursor to a backfill's start once the copy is done,
and reports when the replay since then has drained. And it publishes its state into the journal for
``vectorstore shadow status``, which may run in another process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import VectorStoreError
from ..events import emit
from ..store import VectorStore
from .journal import Journal
from .replay import Group, apply, groups

if TYPE_CHECKING:
    from .store import ShadowedStore

#: Longest pause between two attempts on an unavailable shadow, in seconds.
MAX_BACKOFF_S = 2.0
#: How often an idle applier looks for backfill requests and publishes its state, in seconds.
IDLE_POLL_S = 0.2
#: How often the primary's collection names are published for status, in seconds.
LIST_EVERY_S = 5.0
#: Entries read from the journal per round.
READ_LIMIT = 512


class Applier(threading.Thread):
    """Replays settled journal entries onto the shadow (see the module docstring)."""

    def __init__(self, owner: ShadowedStore, open_shadow: Callable[[], VectorStore]) -> None:
        super().__init__(name=f"shadow-applier-{owner.shadow_url}", daemon=True)
        self.owner = owner
        self.journal = Journal(owner.journal.path, owner.settings.journal_sync)
        self._open_shadow = open_shadow
        self.shadow: VectorStore | None = None
        self.cursor = self.journal.cursor()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        #: Notified after every applied group and state change (waiters: the mirror, backfills, tests).
        self.changed = threading.Condition()
        #: Per collection, the seq of the group being applied and of the last applied one (the mirror compares only
        #: when the shadow holds exactly what the primary held at the read).
        self.started: dict[str, int] = {}
        self.applied: dict[str, int] = {}
        self.replaying_since: int | None = None
        self.stats: dict[str, Any] = {"applied_entries": 0, "applied_records": 0, "replay_errors": 0,
                                      "consecutive_errors": 0, "last_error": None, "last_error_at": None,
                                      "last_applied_at": None, "shadow_open": False, "shadow_opens": 0}
        self._published = 0.0
        self._listed = 0.0
        self._backoff = 0.0

    # -- the loop -----------------------------------------------------------------------------------------------

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._round()
            except Exception as exc:  # the journal keeps everything: log, wait, try again; never die
                self._failed(exc, "the applier's round")
                self._pause()
        if self.shadow is not None:
            self.shadow.close()
        self.journal.close()

    def _round(self) -> None:
        """Serve backfills, then apply what is settled; wait for a write when there is nothing to do."""
        self._serve_backfills()
        entries = self.journal.read(self.cursor, self.owner.settled(), READ_LIMIT)
        if not entries:
            self._publish()
            self.wake.wait(IDLE_POLL_S)
            self.wake.clear()
            return
        shadow = self._shadow()
        if shadow is None:
            self._pause()
            return
        for group in groups(entries):
            if self.stopping.is_set() or not self._apply(shadow, group):
                break
        self._publish()

    def _apply(self, shadow: VectorStore, group: Group) -> bool:
        name = group.collection
        self.started[name] = group.last
        try:
            apply(shadow, group, self.owner.primary)
        except VectorStoreError as exc:
            self.started[name] = self.applied.get(name, 0)
            self._failed(exc, f"replaying journal entries up to {group.last} ({group.op} on {name!r})")
            self._pause()
            return False
        if group.op in ("create_collection", "delete_collection"):
            self._note_live(name, group.op == "create_collection")
        with self.changed:
            self.applied[name] = group.last
            self.cursor = group.last
            self.stats["applied_entries"] += len(group.entries)
            self.stats["applied_records"] += group.records()
            self.stats["consecutive_errors"] = 0
            self.stats["last_applied_at"] = time.time()
            self.changed.notify_all()
        self._backoff = 0.0
        self.journal.set_state(cursor=self.cursor)
        return True

    def _note_live(self, name: str, created: bool) -> None:
        """Collections created through the journal are complete on the shadow from their start (no backfill)."""
        live = set(self.journal.get_state("created_live", []))
        live = live | {name} if created else live - {name}
        self.journal.set_state(created_live=sorted(live))

    def _shadow(self) -> VectorStore | None:
        if self.shadow is None:
            try:
                self.shadow = self._open_shadow()
            except VectorStoreError as exc:
                self._failed(exc, f"opening the shadow {self.owner.shadow_url}")
                return None
            self.stats["shadow_open"] = True
            self.stats["shadow_opens"] += 1
            emit("shadow.opened", self.owner.shadow_url)
        return self.shadow

    def _failed(self, exc: BaseException, doing: str) -> None:
        message = f"{doing}: {type(exc).__name__}: {exc}"
        first = self.stats["consecutive_errors"] == 0
        self.stats.update(replay_errors=self.stats["replay_errors"] + 1, last_error=message, last_error_at=time.time(),
                          consecutive_errors=self.stats["consecutive_errors"] + 1)
        if first:  # one event per outage, not one per retry
            emit("shadow.replay_error", self.owner.shadow_url, logging.WARNING, error=message)

    def _pause(self) -> None:
        """Wait before the next attempt: 50 ms doubling up to :data:`MAX_BACKOFF_S` (woken early by stop)."""
        self._backoff = min(MAX_BACKOFF_S, max(0.05, self._backoff * 2))
        self._publish()
        self.stopping.wait(self._backoff)

    # -- backfills ----------------------------------------------------------------------------------------------

    def _serve_backfills(self) -> None:
        from .backfill import start_backfill

        for request in self.journal.backfills("requested"):
            start_backfill(self, request)
        for running in self.journal.backfills("replaying"):
            if "rewound_to" not in running.detail:
                self.rewind(running.start_seq or 0)
                self.journal.update_backfill(running.id, "replaying", rewound_to=running.start_seq,
                                             replay_until=self.journal.head())
            elif self.cursor >= running.detail["replay_until"]:
                self.journal.update_backfill(running.id, "done", drained_at=time.time())
                self.replaying_since = None
                emit("shadow.backfill_done", self.owner.shadow_url, collection=running.collection)
                with self.changed:
                    self.changed.notify_all()

    def rewind(self, seq: int) -> None:
        """Apply everything after ``seq`` again (after a backfill's copy: see :mod:`.backfill`)."""
        with self.changed:
            self.cursor = min(self.cursor, seq)
            self.replaying_since = self.cursor  # the mirror compares nothing until the replay is done
            self.changed.notify_all()
        self.journal.set_state(cursor=self.cursor)

    def keep_from(self) -> int:
        """Entries after this seq are still needed (not applied, or part of a running backfill's replay)."""
        starts = [b.start_seq or 0 for status in ("copying", "replaying") for b in self.journal.backfills(status)]
        return min([self.cursor, *starts])

    # -- state for status ---------------------------------------------------------------------------------------

    def _publish(self, every_s: float = 0.5) -> None:
        now = time.time()
        if now - self._published < every_s:
            return
        self._published = now
        self.journal.truncate(self.keep_from())
        if now - self._listed >= LIST_EVERY_S:
            self._listed = now
            try:
                self.journal.set_state(collections=[info.name for info in self.owner.primary.list_collections()])
            except VectorStoreError as exc:
                self._failed(exc, "listing the primary's collections")
        self.journal.set_state(applier={**self.stats, "published_at": now, "pid": self.owner.pid,
                                        "uncertain_writes": self.owner.uncertain_writes},
                               mirror=self.owner.mirror_snapshot(), primary=self.owner.primary_url,
                               shadow=self.owner.shadow_url)

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
