"""The chaos harness (:mod:`vectorstore.chaos`, ``bench/chaos.py``) on an isolated Chroma store, in CI.

SIGSEGV, SIGABRT, SIGKILL and SIGSTOP sent to the worker at seeded moments under 6 writers and 2 readers; then the
doctor, a repair of whatever the kills damaged, and every id read back with its vector. Whether Chroma got damaged
depends on where the kills landed, so nothing here depends on it: a damaged collection must be repaired completely,
an undamaged one read back completely. About 60 s of faults here; 300 faults with ``-m heavy``.
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


def run(tmp_path: Path, **bounds: float) -> chaos.Report:
    """A short circuit cool-down: a fault that damages Chroma opens the circuit, and the run is bounded in time."""
    settings = chaos.Settings(
        url=f"chroma://{tmp_path}/store", seed=11, interval=(0.3, 1.2), timeout_s=3, circuit_cooldown_s=5,
        **bounds,  # type: ignore[arg-type]
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


def test_chaos_loses_no_acknowledged_write(tmp_path: Path) -> None:
    assert_nothing_lost(run(tmp_path, seconds=60))


@pytest.mark.heavy
def test_chaos_at_300_faults(tmp_path: Path) -> None:
    assert_nothing_lost(run(tmp_path, faults=300))
