"""The chaos harness (:mod:`vectorstore.chaos`, ``bench/chaos.py``) on an isolated Chroma store, in CI.

SIGSEGV, SIGABRT, SIGKILL and SIGSTOP sent to the worker at seeded moments under 6 writers and 2 readers; then the
doctor, a repair of whatever the kills damaged, and every id read back with its vector. Whether Chroma got damaged
depends on where the kills landed, so nothing here depends on it: a damaged collection must be repaired completely,
an undamaged one read back completely. 100 faults here (about 60-90 s on an idle 2-core machine), each sent while
calls are in flight; 1,000 with ``-m heavy`` (``bench/chaos.py --faults 1000`` prints the same report).
"""

from __future__ import annotations

import importlib.util
import signal
from pathlib import Path

import pytest

from vectorstore import chaos

pytestmark = [
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals"),
    pytest.mark.skipif(importlib.util.find_spec("vectorstore_chroma") is None, reason="no chroma adapter"),
]


def run(tmp_path: Path, faults: int) -> chaos.Report:
    """Faults in quick succession (a SIGSTOP costs the 2 s timeout) and a short circuit cool-down (a fault that
    damages Chroma opens the circuit); a small collection, so restarts and repairs stay cheap."""
    settings = chaos.Settings(
        url=f"chroma://{tmp_path}/store", faults=faults, seed=11, interval=(0.05, 0.25), timeout_s=2,
        circuit_cooldown_s=1, max_ids=6_000,
    )
    report = chaos.run(settings)
    print("\n".join(report.lines()))
    return report


def assert_nothing_lost(report: chaos.Report) -> None:
    text = "\n".join(report.lines())
    assert sum(report.faults.values()) >= 1, text  # the chaos really happened
    assert report.acknowledged_records > 0, text
    assert (report.lost, report.unreadable, report.wrong, report.resurrected) == ([], [], [], []), text
    assert report.untyped_failures == {} and report.stuck_threads == [], text
    assert report.problems == [], text  # every repair complete, the doctor able to open the store
    assert set(report.doctor_after.values()) == {"healthy"}, text
    assert report.ok, text


def test_chaos_at_100_faults_loses_no_acknowledged_write(tmp_path: Path) -> None:
    report = run(tmp_path, faults=100)
    assert_nothing_lost(report)
    assert sum(report.faults.values()) == 100 and set(report.faults) == set(chaos.SIGNALS), report.faults
    assert max(report.in_flight_at_fault) > 1, report.in_flight_at_fault  # faults hit several calls at once


@pytest.mark.heavy
def test_chaos_at_1000_faults(tmp_path: Path) -> None:
    assert_nothing_lost(run(tmp_path, faults=1000))
