"""The quarantine record: a host's quarantined collections, in a file beside the store's data, for other processes.

A quarantine (:mod:`.domains`) lives in the memory of the host that saw the crashes; the operator's shell cannot ask
that process. So the host of a store with a local directory keeps ``DIR/.vectorstore.quarantine.json`` (beside the
directory lock ``DIR/.vectorstore.lock``; Chroma and Qdrant ignore files they did not create) holding its quarantines
now, and ``vectorstore info`` reads it without opening the store (the store's owner holds the directory lock).

- The host rewrites the whole file at each quarantine and release (atomically: a temporary file, then
  :func:`os.replace`), so a reader sees one host's state or the one before, never a mix; with nothing quarantined the
  file is removed. A new host's first change replaces what an earlier host recorded.
- The host marks the record closed when it closes the store: its quarantines end with it, but the data that crashed
  the worker may still be damaged, which is what the record still says.
- ``vectorstore doctor`` drops the collections it finds healthy from the record of a host that closed the store or
  has ended (:func:`forget`).
- It is a hint, never a condition for a call: a failure to write is logged (a warning the first time, then at debug
  level) and the call goes on. It is not fsynced, since a torn record costs only a "record unreadable" line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

#: The record's name inside the store directory (next to :data:`vectorstore.toolkit.LOCK_FILE`).
RECORD_FILE = ".vectorstore.quarantine.json"
#: Version of the file's layout; a reader refuses another one as unreadable rather than guessing.
FORMAT = 1

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Quarantine:
    """One quarantined collection, as recorded."""

    collection: str
    #: Consecutive worker deaths charged to it.
    crashes: int
    #: How the worker died the last time, in words ("SIGSEGV during query on collection 'bad'").
    last: str
    #: When the host quarantined it (wall clock, ISO 8601, UTC).
    since: str
    cooldown_s: float
    times_quarantined: int


@dataclass(frozen=True)
class Record:
    """What :func:`read` found: the recording host, whether it closed the store, and its quarantines; or, with
    ``problem`` set, a file that could not be read (then the other fields are empty)."""

    path: Path
    pid: int = 0
    #: When the host closed the store (ISO 8601), or None while the host has it open.
    closed: str | None = None
    quarantines: tuple[Quarantine, ...] = ()
    problem: str | None = None


def record_path(directory: Path) -> Path:
    """Where the record of the store in ``directory`` is."""
    return directory / RECORD_FILE


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Recorder:
    """The host's writer, fed by :class:`~.domains.FaultDomains` with its quarantines after every change.

    Thread-safe (own lock). Each state carries the version :class:`~.domains.FaultDomains` gave it under its lock;
    a state older than the one written already is dropped, so two threads reporting changes in the wrong order
    cannot leave an older state on disk. ``pid`` is the recording process (tests record on behalf of another one).
    """

    def __init__(self, directory: Path, label: str, cooldown_s: float, pid: int | None = None) -> None:
        self.path = record_path(directory)
        self.label = label
        self.cooldown_s = cooldown_s
        self.pid = os.getpid() if pid is None else pid
        self._lock = threading.Lock()
        self._version = 0
        self._since: dict[str, str] = {}
        self._state: dict[str, Mapping[str, Any]] = {}
        self._closed = False
        self._warned = False

    def record(self, version: int, quarantined: Mapping[str, Mapping[str, Any]]) -> None:
        """Write the host's quarantines now (``{collection: {"crashes", "last", "times_quarantined"}}``); a
        collection still quarantined keeps the time it was first quarantined."""
        with self._lock:
            if self._closed or version <= self._version:
                return
            self._version = version
            self._since = {name: self._since.get(name) or _now() for name in quarantined}
            self._state = dict(quarantined)
            self._write(None)

    def close(self) -> None:
        """The host closes the store: its quarantines end. A record it wrote stays, marked closed (the data may
        still be damaged); later changes are not recorded."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._state:
                self._write(_now())

    def _write(self, closed: str | None) -> None:
        """Replace the file with the current state, or remove it when nothing is quarantined; never raises."""
        try:
            if not self._state:
                self.path.unlink(missing_ok=True)
                return
            _replace(self.path, json.dumps(self._payload(closed), indent=1, sort_keys=True))
        except OSError as exc:
            level = logging.DEBUG if self._warned else logging.WARNING
            self._warned = True
            _log.log(level, "could not update the quarantine record %s of %s: %s", self.path, self.label, exc)

    def _payload(self, closed: str | None) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "store": self.label,
            "pid": self.pid,
            "closed": closed,
            "collections": {
                name: {
                    "crashes": int(state["crashes"]),
                    "last": str(state["last"]),
                    "since": self._since[name],
                    "cooldown_s": self.cooldown_s,
                    "times_quarantined": int(state["times_quarantined"]),
                }
                for name, state in sorted(self._state.items())
            },
        }


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file of this process in the same directory, then a rename."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise


def read(directory: Path) -> Record | None:
    """The record of the store in ``directory``, None when there is none; an unreadable or garbled file gives a
    :class:`Record` whose ``problem`` says what is wrong (the reader is a report, it must not fail)."""
    path = record_path(directory)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        return Record(path, problem=f"cannot be read: {exc}")
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            return Record(path, problem=f"has an unknown format ({found!r}; this vectorstore reads {FORMAT})")
        quarantines = tuple(
            Quarantine(
                collection=str(name),
                crashes=int(entry["crashes"]),
                last=str(entry["last"]),
                since=str(entry["since"]),
                cooldown_s=float(entry["cooldown_s"]),
                times_quarantined=int(entry["times_quarantined"]),
            )
            for name, entry in data["collections"].items()
        )
        closed = data["closed"]
        return Record(path, int(data["pid"]), None if closed is None else str(closed), quarantines)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return Record(path, problem=f"is garbled ({type(exc).__name__}: {exc})")


def forget(directory: Path, healthy: Iterable[str]) -> None:
    """Drop the ``healthy`` collections (found healthy by ``vectorstore doctor``) from a record whose host closed
    the store or has ended: its "may still be damaged" no longer holds. A live host's record is its own to change;
    an unreadable record is left as it is, and a failure to rewrite is logged, never raised."""
    path = record_path(directory)
    found = read(directory)
    if found is None or found.problem is not None or (found.closed is None and process_alive(found.pid) is not False):
        return
    names = set(healthy)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        kept = {name: entry for name, entry in data["collections"].items() if name not in names}
        if kept == data["collections"]:
            return
        if not kept:
            path.unlink(missing_ok=True)
            return
        _replace(path, json.dumps({**data, "collections": kept}, indent=1, sort_keys=True))
    except (OSError, ValueError) as exc:
        _log.warning("could not update the quarantine record %s: %s", path, exc)


def process_alive(pid: int) -> bool | None:
    """Whether process ``pid`` still runs: True, False, or None when this platform cannot tell safely (Windows,
    where ``os.kill`` would terminate it). A reused pid reads as alive."""
    if os.name != "posix":
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def describe(record: Record | None, url: str) -> list[str]:
    """The lines ``vectorstore info`` prints about the record (none without one): each quarantined collection, who
    recorded it and whether that process still runs, and what to do."""
    if record is None:
        return []
    if record.problem is not None:
        return [f"quarantine record {record.path} {record.problem}; remove it, or let the store's host rewrite it"]
    repair = f"vectorstore doctor --repair {url}"
    alive = process_alive(record.pid)
    if record.closed is not None:
        host = f"recorded by process {record.pid}, which closed the store at {record.closed}"
        advice = f"the quarantine ended with it; the data may still be damaged: run `{repair}`"
    elif alive is False:
        host = f"recorded by process {record.pid}, which has ended"
        advice = f"the quarantine ended with it; the data may still be damaged: run `{repair}`"
    else:
        running = "still running" if alive else "whether it still runs is unknown here"
        host = f"recorded by process {record.pid} ({running}), which refuses their calls"
        advice = (
            "repair in that process (store.adapter.repair(name); a success lifts the quarantine), or stop it and run "
            f"`{repair}`"
        )
    lines = [f"quarantined collections ({host}; {record.path}):"]
    lines += [
        f"  {item.collection}: {item.crashes} worker deaths in a row (last: {item.last}), quarantined since "
        f"{item.since}, cool-down {item.cooldown_s:g} s"
        for item in record.quarantines
    ]
    lines.append(f"  {advice}")
    return lines
