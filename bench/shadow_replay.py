"""Journal replay rate against the shadow's bare upsert rate (issue 14: replay >= 0.8 x bare).

Each round builds a shadowed store (isolated Chroma primary, Qdrant Edge shadow) whose shadow path is locked by
another process, so the applier cannot open it: ``--records`` records are written in batches of ``--batch`` and
only journaled. Then the lock is released and the backlog replays; the replay rate is timed from the moment the
applier has opened the shadow to the drained journal (its back-off before it retries is not counted). The bare side
upserts the same batches into a fresh Qdrant Edge store through ``vectorstore.open`` (what the applier calls). The
two sides alternate which goes first from round to round; medians of the rounds are compared.

    python bench/shadow_replay.py --rounds 5 --records 20000
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import vectorstore

DIMENSION = 384
TARGET = 0.8
_LOCKER = "import sys, vectorstore; s = vectorstore.open(sys.argv[1]); print('locked', flush=True); sys.stdin.read()"


def _batches(records: int, size: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [
        {
            "ids": [f"r{i}" for i in range(start, min(start + size, records))],
            "vectors": rng.normal(size=(min(size, records - start), DIMENSION)).astype(np.float32),
            "metadatas": [{"n": i, "group": f"g{i % 10}"} for i in range(start, min(start + size, records))],
        }
        for start in range(0, records, size)
    ]


def _bare(root: Path, batches: list[dict[str, Any]]) -> float:
    """Records per second of the shadow's own upserts, batch by batch."""
    with vectorstore.open(f"qdrant://{root}/bare") as store:
        store.create_collection("docs", DIMENSION)
        started = time.perf_counter()
        for batch in batches:
            store.upsert("docs", **batch)
        return sum(len(b["ids"]) for b in batches) / (time.perf_counter() - started)


def _replay(root: Path, batches: list[dict[str, Any]]) -> float:
    """Records per second of the applier draining a journal of ``batches`` onto a shadow that was locked."""
    shadow_url = f"qdrant://{root}/shadow"
    locker = subprocess.Popen(
        [sys.executable, "-c", _LOCKER, shadow_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
    config = {"url": f"chroma://{root}/primary",
              "shadow": {"url": shadow_url, "mirror_fraction": 0.0, "journal": str(root / "journal.sqlite")}}
    with vectorstore.open(config=config) as store:
        store.create_collection("docs", DIMENSION)
        for batch in batches:
            store.upsert("docs", **batch)
        assert locker.stdin is not None
        locker.stdin.close()
        locker.wait(60)
        applier = store.applier  # type: ignore[attr-defined]
        deadline = time.monotonic() + 120
        while not applier.stats["shadow_open"]:  # the applier retries the shadow after its back-off (<= 2 s)
            assert time.monotonic() < deadline, "the applier never opened the shadow"
            time.sleep(0.001)
        started = time.perf_counter()
        assert store.wait_caught_up(600), "the journal did not drain"  # type: ignore[attr-defined]
        seconds = time.perf_counter() - started
        replayed = applier.stats["applied_records"]
    assert replayed == sum(len(b["ids"]) for b in batches), replayed
    return replayed / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    replay: list[float] = []
    bare: list[float] = []
    for round_number in range(args.rounds):
        batches = _batches(args.records, args.batch, round_number)
        with tempfile.TemporaryDirectory(prefix="bench-shadow-replay-") as directory:
            root = Path(directory)
            sides = [("replay", _replay), ("bare", _bare)]
            for side, measure in sides if round_number % 2 == 0 else sides[::-1]:
                (replay if side == "replay" else bare).append(measure(root, batches))
        print(f"round {round_number}: replay {replay[-1]:,.0f} rec/s, bare upsert {bare[-1]:,.0f} rec/s, "
              f"ratio {replay[-1] / bare[-1]:.3f}", flush=True)
    ratio = statistics.median(r / b for r, b in zip(replay, bare))
    verdict = "ok" if ratio >= TARGET else "BELOW TARGET"
    print(f"{args.records} x {DIMENSION} in batches of {args.batch}, {args.rounds} rounds: replay "
          f"{statistics.median(replay):,.0f} rec/s, bare {statistics.median(bare):,.0f} rec/s; "
          f"median ratio {ratio:.3f} (>= {TARGET}: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
