"""The quarantine record (:mod:`vectorstore.isolation.quarantine_record`): the file a host keeps of its quarantined
collections beside the store's files, and ``vectorstore info`` reading it from another process's point of view; on
a real isolated Chroma store, a quarantine is recorded, shown live by ``info``, and removed when a repair lifts it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import vectorstore
from vectorstore.cli import app
from vectorstore.errors import WorkerCrashed
from vectorstore.isolation import IsolationPolicy
from vectorstore.isolation.domains import FaultDomains
from vectorstore.isolation.quarantine_record import (
    RECORD_FILE,
    Recorder,
    describe,
    forget,
    process_alive,
    read,
    record_path,
)

from .conftest import Opener
from .helpers import inject

URL = "chroma:///data"
BAD = {"crashes": 3, "last": "SIGSEGV during query on collection 'bad'", "times_quarantined": 1}


def recorder(directory: Path, pid: int | None = None) -> Recorder:
    return Recorder(directory, URL, cooldown_s=30.0, pid=pid)


def files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def ended_pid() -> int:
    """The pid of a process this test started and waited for: it has ended (and was reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def info(url: str) -> str:
    result = CliRunner().invoke(app, ["info", "--url", url])
    assert result.exit_code == 0, result.output
    return result.stdout


# -- the record itself ------------------------------------------------------------------------------------------


def test_the_host_writes_its_quarantines_and_removes_the_file_when_none_is_left(tmp_path: Path) -> None:
    record = recorder(tmp_path)
    record.record(1, {"bad": BAD, "worse": {**BAD, "crashes": 4}})
    assert files(tmp_path) == [RECORD_FILE]  # no temporary file left beside it
    found = read(tmp_path)
    assert found is not None and found.problem is None
    assert (found.pid, found.closed) == (os.getpid(), None)
    assert [(q.collection, q.crashes, q.cooldown_s) for q in found.quarantines] == [
        ("bad", 3, 30.0),
        ("worse", 4, 30.0),
    ]
    since = found.quarantines[0].since
    record.record(2, {"bad": {**BAD, "crashes": 4, "times_quarantined": 2}})  # still quarantined: keeps its time
    again = read(tmp_path)
    assert again is not None and [(q.collection, q.crashes, q.since) for q in again.quarantines] == [("bad", 4, since)]
    record.record(3, {})
    assert read(tmp_path) is None and files(tmp_path) == []


def test_a_state_older_than_the_one_written_is_dropped(tmp_path: Path) -> None:
    record = recorder(tmp_path)
    record.record(2, {})
    record.record(1, {"bad": BAD})  # reported late by another thread: the release (2) came after it
    assert read(tmp_path) is None


def test_a_new_host_replaces_what_an_earlier_host_recorded(tmp_path: Path) -> None:
    recorder(tmp_path, pid=ended_pid()).record(1, {"bad": BAD})
    recorder(tmp_path).record(1, {"other": BAD})
    found = read(tmp_path)
    assert found is not None and found.pid == os.getpid() and [q.collection for q in found.quarantines] == ["other"]


def test_closing_marks_the_record_closed_and_records_nothing_after(tmp_path: Path) -> None:
    record = recorder(tmp_path)
    record.close()
    assert read(tmp_path) is None  # nothing quarantined: nothing to keep
    record = recorder(tmp_path)
    record.record(1, {"bad": BAD})
    record.close()
    record.record(2, {})
    found = read(tmp_path)
    assert found is not None and found.closed is not None and [q.collection for q in found.quarantines] == ["bad"]


def test_a_failed_write_raises_nothing_keeps_the_old_record_and_warns_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    record = recorder(tmp_path)
    record.record(1, {"bad": BAD})
    (tmp_path / f"{RECORD_FILE}.{os.getpid()}.tmp").mkdir()  # where the next version would be written
    with caplog.at_level(logging.DEBUG, logger="vectorstore.isolation.quarantine_record"):
        record.record(2, {"bad": BAD, "worse": BAD})
        record.record(3, {"worse": BAD})
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.DEBUG]
    assert "could not update the quarantine record" in caplog.records[0].getMessage()
    found = read(tmp_path)  # the replace never happened: the last complete version is intact
    assert found is not None and [q.collection for q in found.quarantines] == ["bad"]


def test_the_fault_domains_hand_each_change_to_the_record_until_it_is_closed(tmp_path: Path) -> None:
    """A crash of a remedy during the quarantine updates the count; after close, the record is left closed."""
    record = recorder(tmp_path)
    domains = FaultDomains(URL, threshold=2, cooldown_s=30.0, recorder=record)
    for _ in range(2):
        domains.died(["bad"], "SIGSEGV during query on collection 'bad'")
    domains.died(["bad"], "SIGSEGV during repair on collection 'bad'")  # a remedy that crashed: the count is kept
    found = read(tmp_path)
    assert found is not None and [(q.collection, q.crashes) for q in found.quarantines] == [("bad", 3)]
    assert "during repair" in found.quarantines[0].last
    record.close()
    domains.returned("repair", "bad", ok=True)  # after close: not recorded
    found = read(tmp_path)
    assert found is not None and found.closed is not None
    assert "which closed the store at" in "\n".join(describe(found, URL))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{\"format\": 1, \"pid\": 12", "is garbled"),
        (b"[]", "unknown format"),
        (b"{\"format\": 7}", "unknown format (7"),
        (b"{\"format\": 1, \"pid\": 5, \"closed\": null, \"collections\": {\"bad\": {}}}", "is garbled (KeyError"),
        (b"\xff\xfe", "cannot be read"),
    ],
)
def test_an_unreadable_record_is_reported_not_raised(tmp_path: Path, content: bytes, problem: str) -> None:
    record_path(tmp_path).write_bytes(content)
    found = read(tmp_path)
    assert found is not None and found.problem is not None and problem in found.problem


def test_forget_drops_healthy_collections_only_from_the_record_of_a_host_that_is_gone(tmp_path: Path) -> None:
    live = recorder(tmp_path)
    live.record(1, {"bad": BAD})
    forget(tmp_path, ["bad"])  # the host still has it quarantined: its record is its own
    assert read(tmp_path) is not None
    live.close()
    forget(tmp_path, ["other"])
    forget(tmp_path, ["bad"])
    assert read(tmp_path) is None
    recorder(tmp_path, pid=ended_pid()).record(1, {"bad": BAD, "worse": BAD})
    forget(tmp_path, ["bad"])
    found = read(tmp_path)
    assert found is not None and [q.collection for q in found.quarantines] == ["worse"]


def test_process_alive_tells_a_running_process_from_an_ended_one() -> None:
    if os.name != "posix":
        assert process_alive(os.getpid()) is None  # Windows: os.kill would end it, so it cannot tell
        return
    assert process_alive(os.getpid()) is True
    assert process_alive(ended_pid()) is False


# -- vectorstore info ---------------------------------------------------------------------------------------------


def test_info_shows_a_record_of_an_ended_process_as_ended(tmp_path: Path) -> None:
    pytest.importorskip("vectorstore_chroma", reason="the chroma adapter (adapters/chroma) is not installed")
    pid = ended_pid()
    directory = tmp_path / "c"
    directory.mkdir()
    recorder(directory, pid=pid).record(1, {"bad": BAD})
    out = info(f"chroma://{directory}")
    assert f"recorded by process {pid}, which has ended" in out
    assert "bad: 3 worker deaths in a row (last: SIGSEGV during query on collection 'bad')" in out
    repair = f"vectorstore doctor --repair chroma://{directory}"
    assert f"the quarantine ended with it; the data may still be damaged: run `{repair}`" in out


def test_info_says_a_garbled_record_is_unreadable_and_exits_0(tmp_path: Path) -> None:
    pytest.importorskip("vectorstore_chroma", reason="the chroma adapter (adapters/chroma) is not installed")
    directory = tmp_path / "c"
    directory.mkdir()
    record_path(directory).write_text("{not json", encoding="utf-8")
    out = info(f"chroma://{directory}")
    assert f"quarantine record {record_path(directory)} is garbled" in out


def test_doctor_drops_what_it_finds_healthy_from_an_ended_hosts_record_and_shows_the_rest(tmp_path: Path) -> None:
    pytest.importorskip("vectorstore_chroma", reason="the chroma adapter (adapters/chroma) is not installed")
    url = f"chroma://{tmp_path}/c"
    with vectorstore.open(url, isolation="none") as store:
        store.create_collection("bad", 2)
        store.upsert("bad", ["a", "b"], [[1.0, 0.0], [0.0, 1.0]])
    recorder(tmp_path / "c", pid=ended_pid()).record(1, {"bad": BAD, "dropped": BAD})
    result = CliRunner().invoke(app, ["doctor", url])
    assert result.exit_code == 0, result.output
    found = read(tmp_path / "c")  # "bad" is healthy now; "dropped" was not checked (no such collection)
    assert found is not None and [q.collection for q in found.quarantines] == ["dropped"]
    assert "dropped: 3 worker deaths in a row" in result.stdout and "bad: 3" not in result.stdout


def test_info_says_nothing_of_quarantines_without_a_record() -> None:
    assert "quarantined collections" not in info("memory://")


# -- on a real isolated Chroma store ------------------------------------------------------------------------------

#: A long cool-down: nothing depends on it passing; the repair lifts the quarantine.
POLICY = IsolationPolicy(circuit_failures=3, circuit_cooldown_s=600, kill_grace_s=0.3, orphan_grace_s=1.0)


def test_a_quarantine_is_recorded_shown_live_by_info_and_gone_after_a_repair(
    open_isolated: Opener, tmp_path: Path
) -> None:
    pytest.importorskip("vectorstore_chroma", reason="the chroma adapter (adapters/chroma) is not installed")
    directory = tmp_path / "c"
    store = open_isolated(f"chroma://{directory}", policy=POLICY)
    vectors = np.random.default_rng(11).standard_normal((10, 4)).astype(np.float32)
    store.create_collection("bad", 4)
    store.upsert("bad", [f"bad-{i}" for i in range(10)], vectors)
    inject(store, "segv", "query", times=3)
    for _ in range(2):  # a crash and its retry, then the third crash: quarantined
        with pytest.raises(WorkerCrashed, match="SIGSEGV"):
            store.search("bad", vectors[0], k=3)
    assert list(store.stats()["quarantined"]) == ["bad"]
    found = read(directory)
    assert found is not None and found.pid == os.getpid() and found.closed is None
    assert [(q.collection, q.crashes, q.cooldown_s) for q in found.quarantines] == [("bad", 3, 600.0)]
    assert "SIGSEGV" in found.quarantines[0].last
    out = info(f"chroma://{directory}")
    assert "bad: 3 worker deaths in a row (last: SIGSEGV" in out
    if os.name == "posix":
        assert f"recorded by process {os.getpid()} (still running), which refuses their calls" in out
    store.adapter.repair("bad")  # lifts the quarantine, and the record's entry with it
    assert store.stats()["quarantined"] == {} and read(directory) is None
    assert "quarantined collections" not in info(f"chroma://{directory}")
