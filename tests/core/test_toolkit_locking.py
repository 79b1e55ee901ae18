"""``vectorstore.toolkit.DirectoryLock``: one owner per directory, across processes and within one.

The other process is started with ``multiprocessing``'s ``spawn`` (a fresh interpreter, as on Windows and macOS);
it reports through a queue and waits on an event, so nothing here depends on timing.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable, Iterator
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import pytest

from vectorstore.errors import StoreLocked
from vectorstore.toolkit import LOCK_FILE, DirectoryLock

#: Generous ceiling for a spawned interpreter to answer; a hung child fails the test instead of blocking CI.
ANSWER_TIMEOUT_S = 120


def _contend(directory: str, label: str, answers: Any, done: Event) -> None:
    """In the child: try the lock; report ``("locked", pid)`` and hold it until ``done``, or the refusal itself."""
    lock = DirectoryLock(directory, label)
    try:
        lock.acquire()
    except StoreLocked as refused:
        answers.put(("refused", refused))
        return
    answers.put(("locked", os.getpid()))
    done.wait(ANSWER_TIMEOUT_S)
    lock.release()


class Contender:
    """A spawned process contending for a directory lock."""

    def __init__(self, directory: Path, label: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.answers = context.Queue()
        self.done = context.Event()
        self.process = context.Process(target=_contend, args=(str(directory), label, self.answers, self.done))
        self.process.start()

    def answer(self) -> tuple[str, Any]:
        """The child's report; fails at once (not after the ceiling) if the child died without one."""
        for _ in range(ANSWER_TIMEOUT_S):
            try:
                return self.answers.get(timeout=1)  # type: ignore[no-any-return]
            except queue.Empty:
                if not self.process.is_alive() and self.answers.empty():
                    raise AssertionError(f"the contender exited with {self.process.exitcode} without answering")
        raise AssertionError(f"the contender did not answer within {ANSWER_TIMEOUT_S} s")

    def finish(self) -> None:
        self.done.set()
        self.process.join(ANSWER_TIMEOUT_S)
        assert self.process.exitcode == 0


@pytest.fixture
def contender(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path, str], Contender]]:
    """Start contenders; each is finished (released, joined) at teardown even if the test failed half-way."""
    # A spawned child imports ``_contend`` by the name pytest gave this module; ``--import-mode=importlib`` derives it
    # from the rootdir without putting that root on ``sys.path``, so the child (which copies sys.path) needs it.
    monkeypatch.syspath_prepend(str(Path(__file__).parents[__name__.count(".")]))
    started: list[Contender] = []

    def start(directory: Path, label: str) -> Contender:
        started.append(Contender(directory, label))
        return started[-1]

    yield start
    for each in started:
        each.done.set()
        each.process.join(ANSWER_TIMEOUT_S)


def test_another_process_is_refused_until_the_owner_releases(
    tmp_path: Path, contender: Callable[[Path, str], Contender]
) -> None:
    owner = DirectoryLock(tmp_path, "Chroma")
    owner.acquire()
    refused = contender(tmp_path, "Chroma")
    kind, error = refused.answer()
    refused.finish()
    assert kind == "refused"
    assert error.path == str(tmp_path) and error.holder == str(os.getpid())
    assert str(tmp_path) in str(error) and str(os.getpid()) in str(error) and "close that store" in str(error)

    owner.release()
    admitted = contender(tmp_path, "Chroma")
    kind, pid = admitted.answer()
    assert (kind, pid) == ("locked", admitted.process.pid)
    with pytest.raises(StoreLocked, match=f"pid {pid}"):  # now the child owns it, and the refusal names it
        DirectoryLock(tmp_path, "Chroma").acquire()
    admitted.finish()
    with DirectoryLock(tmp_path, "Chroma") as again:  # the child's release let the parent back in
        assert again.held


def test_chroma_and_qdrant_labels_share_one_lock_file(
    tmp_path: Path, contender: Callable[[Path, str], Contender]
) -> None:
    """Both adapters lock ``DIR/.vectorstore.lock``, so a Chroma and a Qdrant store exclude each other on one path."""
    with DirectoryLock(tmp_path, "Chroma") as chroma:
        assert chroma.path == tmp_path / LOCK_FILE == tmp_path / ".vectorstore.lock"
        assert chroma.path.read_text(encoding="ascii") == str(os.getpid())
        qdrant = contender(tmp_path, "Qdrant")
        kind, error = qdrant.answer()
        qdrant.finish()
        assert kind == "refused"
        assert str(error).startswith(f"the Qdrant store at {tmp_path} is already open (pid {os.getpid()}")
    assert (tmp_path / LOCK_FILE).read_text(encoding="ascii") == ""  # released: no stale pid left behind


def test_a_second_lock_in_the_same_process_is_refused(tmp_path: Path) -> None:
    """Two stores in one process on one path corrupt it as surely as two processes do."""
    directory = tmp_path / "not-yet-created"
    first = DirectoryLock(directory, "Qdrant")
    first.acquire()
    second = DirectoryLock(directory, "Qdrant")
    with pytest.raises(StoreLocked) as refused:
        second.acquire()
    assert refused.value.__cause__ is not None  # the operating system's refusal is kept
    assert not second.held and first.held
    first.release()
    first.release()  # a second release does nothing
    second.acquire()
    second.release()


def test_acquiring_twice_with_one_object_is_a_programming_error(tmp_path: Path) -> None:
    with DirectoryLock(tmp_path, "Chroma") as lock:
        with pytest.raises(RuntimeError, match="already held"):
            lock.acquire()
        assert lock.held
