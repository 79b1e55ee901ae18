"""Backfill while live: writer threads keep writing and deleting while another process asks for the backfill."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import vectorstore

from .conftest import DIMENSION, DRAIN_S, Pair, assert_same, contents, python, records


@pytest.mark.parametrize("command", ["shadow backfill", "migrate"])
def test_backfill_from_another_process_converges_under_live_writes(
    pair: Pair, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``vectorstore migrate PRIMARY SHADOW`` on a shadowed pair is the same live backfill as ``shadow backfill``."""
    if command == "migrate":  # migrate finds the pair's default journal, under the working directory
        pair = dataclasses.replace(pair, journal=None)
        monkeypatch.chdir(pair.directory)
        arguments = ["migrate", pair.primary, pair.shadow, "-c", "docs"]
    else:
        arguments = ["shadow", "backfill", "--config", str(pair.toml()), "-c", "docs", "--timeout", str(DRAIN_S)]
    rng = np.random.default_rng(5)
    with vectorstore.open(pair.primary) as plain:  # the application's data from before shadowing
        plain.create_collection("docs", DIMENSION)
        for start in range(0, 3000, 500):
            plain.upsert("docs", **records(start, 500, rng))
    stop = threading.Event()
    written = [0, 0]

    def writer(number: int) -> None:
        local = np.random.default_rng(100 + number)
        while not stop.is_set():
            start = int(local.integers(0, 3400))
            store.upsert("docs", **records(start, 5, local, tag=f"-w{number}"))
            store.delete("docs", ids=[f"r{int(i)}" for i in local.integers(0, 3400, size=3)])
            if written[number] % 10 == 0:
                store.delete("docs", where={"n": {"$gte": int(local.integers(0, 3400)), "$lt": 0}})  # matches none
                store.delete("docs", where={"$and": [{"t": f"t0-w{number}"}, {"f": {"$lt": float(local.integers(0, 800))}}]})
            written[number] += 1

    with pair.open() as store:
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        try:
            backfill = subprocess.run(
                [python(), "-c", "from vectorstore.cli import main; main()", *arguments],
                capture_output=True, text=True, timeout=DRAIN_S + 60,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            )
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert backfill.returncode == 0, backfill.stdout + backfill.stderr
        assert "asked the application" in backfill.stdout
        (done,) = store.journal.backfills()
        assert done.status == "done" and done.detail["copied"] >= 2900
        assert done.detail["replay_until"] > done.start_seq  # writes did arrive during the copy
        assert store.wait_caught_up(DRAIN_S)
    assert min(written) > 0
    assert_same(contents(pair.primary, "docs"), contents(pair.shadow, "docs"))
