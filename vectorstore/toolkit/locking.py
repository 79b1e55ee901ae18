"""One owner per store directory: an exclusive lock file that the operating system releases with the process.

Embedded backends take no lock of their own, or one that does not cover us (Chroma takes none, and two processes on
one path silently lose vectors from its index, backends.md 0.2; qdrant-edge-py's shards know nothing of each other).
So every embedded store holds ``DIR/.vectorstore.lock`` while it is open:

- POSIX ``flock`` locks belong to an open file description, so a second store in the *same* process conflicts too,
  and the kernel drops the lock when the owner dies however it dies (SIGKILL, segfault): no stale lock files;
- Windows ``msvcrt.locking`` locks one byte of the file for the handle, released when the handle closes or the
  process ends. The standard library has both, so the core needs no dependency for this.

The holder writes its pid into the file, so a refused opener can say who holds the directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from ..errors import StoreLocked

#: The lock file's name inside the store directory; every adapter uses this one, so they exclude each other too.
LOCK_FILE = ".vectorstore.lock"


class DirectoryLock:
    """An exclusive, non-blocking lock on ``path/.vectorstore.lock`` for as long as a store has ``path`` open.

    ``owner_label`` names the kind of store in the refusal (``"Chroma"``, ``"Qdrant"``). Use it as a context manager
    or call :meth:`acquire` and :meth:`release`; releasing twice, or without acquiring, does nothing.
    """

    def __init__(self, path: str | os.PathLike[str], owner_label: str) -> None:
        self.directory = Path(path)
        self.path = self.directory / LOCK_FILE
        self.owner_label = owner_label
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._file is not None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`StoreLocked` (naming the directory and the holder's pid) at once."""
        if self._file is not None:
            raise RuntimeError(f"{self.path} is already held by this DirectoryLock")
        self.directory.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="ascii")  # noqa: SIM115 - held open for the store's lifetime
        try:
            _lock(handle)
        except OSError as exc:
            holder = _holder(handle)
            handle.close()
            raise StoreLocked(
                f"the {self.owner_label} store at {self.directory} is already open (pid {holder}, this or another "
                "process); close that store first, share one store object between threads, or use another path",
                path=str(self.directory),
                holder=holder,
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Give the lock up (closing the file releases it) and clear the pid it recorded."""
        handle, self._file = self._file, None
        if handle is not None:
            try:
                handle.seek(0)
                handle.truncate()
                _unlock(handle)
            finally:
                handle.close()

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()


def _holder(handle: IO[str]) -> str:
    """The pid the holder wrote, or ``unknown`` (not written yet, or unreadable: Windows locks the byte for reads)."""
    try:
        handle.seek(0)
        return handle.read(32).strip() or "unknown"
    except OSError:
        return "unknown"


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[str]) -> None:
        """Windows wants locked regions unlocked before the file is closed."""
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
