"""One owner per persistent directory: an exclusive lock file that the operating system releases with the process.

Chroma itself takes no lock, and two processes on one path silently lose vectors from the index (backends.md 0.2).
``flock`` locks belong to an open file description, so a second store in the *same* process conflicts too, and the
kernel drops the lock when the owning process dies, however it dies (SIGKILL, segfault): no stale lock files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from vectorstore.errors import StoreLocked

LOCK_FILE = ".vectorstore.lock"


class DirectoryLock:
    """An exclusive, non-blocking lock on ``directory/.vectorstore.lock``; the holder's pid is written inside."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_FILE
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="ascii")  # noqa: SIM115 - held open for the store's lifetime
        try:
            _lock(handle)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StoreLocked(
                f"{self.path.parent} is already open by another store (pid {holder}); Chroma loses index entries "
                "when two clients share a directory, so close the other store or use another path",
                path=str(self.path.parent),
                holder=holder,
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            handle.seek(0)
            handle.truncate()
            handle.close()  # closing the descriptor releases the lock


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
