"""Qdrant Edge (``qdrant:///path``) and qdrant-client local (``qdrant+local:///path``) under SIGKILL mid-write.

A child process upserts batches and prints each acknowledged one (:mod:`.kill_writer`); the parent kills it with
SIGKILL after a seeded number of acknowledgements, i.e. while the next upsert is running, several times on the same
path. Then a fresh process reads back every acknowledged id (vectors and metadata compared with what was written)
and the doctor checks the store. The CI version does a few rounds; ``-m heavy`` does many.
"""

from __future__ import annotations

import importlib.util
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import vectorstore
from vectorstore import doctor

from .kill_writer import COLLECTION, batch_vectors

WRITER = Path(__file__).with_name("kill_writer.py")
BATCH = 200

pytestmark = [
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals"),
    pytest.mark.skipif(importlib.util.find_spec("vectorstore_qdrant") is None, reason="no qdrant adapter"),
]


def kill_rounds(url: str, rounds: int, seed: int) -> list[tuple[int, int]]:
    """Run the writer ``rounds`` times, each killed after 1-6 acknowledgements; the acknowledged batches."""
    rng = random.Random(seed)
    acknowledged: list[tuple[int, int]] = []
    start = 0
    for _ in range(rounds):
        wanted = rng.randint(1, 6)
        child = subprocess.Popen(
            [sys.executable, str(WRITER), url, str(start), str(BATCH)], stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(WRITER.parent), os.environ.get("PYTHONPATH", "")])},
        )
        assert child.stdout is not None
        try:
            for _ in range(wanted):
                line = child.stdout.readline()
                assert line.startswith("ack "), f"the writer stopped early (exit {child.poll()})"
                first, count = map(int, line.split()[1:])
                acknowledged.append((first, count))
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
            child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        start = acknowledged[-1][0] + BATCH + BATCH  # skip the batch that was being written when it died
    return acknowledged


def lost_ids(url: str, acknowledged: list[tuple[int, int]]) -> list[str]:
    """Acknowledged ids missing or different after reopening."""
    lost: list[str] = []
    with vectorstore.open(url) as store:
        for first, count in acknowledged:
            ids = [f"k-{i}" for i in range(first, first + count)]
            got = {r.id: r for r in store.get(COLLECTION, ids, include=["vector", "metadata"])}
            for record_id, vector in zip(ids, batch_vectors(first, count)):
                record = got.get(record_id)
                if record is None or record.metadata != {"first": first} or not np.allclose(record.vector, vector, atol=1e-5):
                    lost.append(record_id)
    return lost


def run(scheme: str, tmp_path: Path, rounds: int) -> None:
    url = f"{scheme}://{tmp_path}/store"
    acknowledged = kill_rounds(url, rounds, seed=11)
    assert lost_ids(url, acknowledged) == []
    report = doctor.diagnose(url, deep=True)
    assert report.ok, report.model_dump_json(indent=2)
    total = sum(count for _, count in acknowledged)
    print(f"{scheme}: {rounds} SIGKILLs mid-write, {total} acknowledged records, 0 lost, doctor healthy")


@pytest.mark.parametrize("scheme", ["qdrant", "qdrant+local"])
def test_acknowledged_writes_survive_sigkill_mid_write(scheme: str, tmp_path: Path) -> None:
    run(scheme, tmp_path, rounds=3)


@pytest.mark.heavy
@pytest.mark.parametrize("scheme", ["qdrant", "qdrant+local"])
def test_acknowledged_writes_survive_many_sigkills(scheme: str, tmp_path: Path) -> None:
    run(scheme, tmp_path, rounds=40)
