"""What keeping Chroma's write-ahead log costs: upsert time and disk, recovery on vs off, and compaction's effect.

Time: isolated stores (the default for chroma) with ``recovery`` on and off, interleaved round by round on fresh
directories (so drift on a shared machine hits both alike); each round upserts ``--records`` new ids in batches
of ``--batch``; the median over ``--rounds`` is reported with the ratio (goal <= 1.10).

Disk: ``chroma.sqlite3`` against the raw data size (ids + float32 vectors) after the new ids, and after
``--churn`` rounds re-upserting the same ids (the log keeps each write until compaction supersedes it), with
recovery off, on, and on after an explicit ``compact``. Usage::

    python adapters/chroma/bench/recovery.py [--rounds 5] [--records 5000] [--dim 384] [--batch 500] [--churn 4]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import vectorstore


def _upsert_all(url: str, vectors: np.ndarray, batch: int, rounds: int = 1, isolation: str = "process") -> float:
    """Seconds to upsert ``vectors`` (ids r0..rn) ``rounds`` times in batches, the store opened beforehand."""
    ids = [f"r{i}" for i in range(len(vectors))]
    with vectorstore.open(url, isolation=isolation) as store:
        store.create_collection("bench", dimension=vectors.shape[1], exist_ok=True)
        started = time.perf_counter()
        for _ in range(rounds):
            for start in range(0, len(ids), batch):
                store.upsert("bench", ids=ids[start : start + batch], vectors=vectors[start : start + batch])
        return time.perf_counter() - started


def _timing(args: argparse.Namespace, rng: np.random.Generator) -> None:
    times: dict[bool, list[float]] = {True: [], False: []}
    for round_ in range(args.rounds):
        vectors = rng.standard_normal((args.records, args.dim)).astype(np.float32)
        for recovery in (round_ % 2 == 0, round_ % 2 != 0):  # alternate which goes first
            with tempfile.TemporaryDirectory() as root:
                url = f"chroma://{root}/s?recovery={str(recovery).lower()}"
                times[recovery].append(_upsert_all(url, vectors, args.batch))
    on, off = statistics.median(times[True]), statistics.median(times[False])
    print(f"upsert {args.records} x {args.dim}-d in batches of {args.batch}, isolated, median of {args.rounds}:")
    print(f"  recovery off {off:.3f} s   on {on:.3f} s   ratio {on / off:.3f}")
    print(f"  rounds off {[round(t, 3) for t in times[False]]}  on {[round(t, 3) for t in times[True]]}")


def _mb(path: Path) -> float:
    return (path / "chroma.sqlite3").stat().st_size / 1e6


def _disk(args: argparse.Namespace, rng: np.random.Generator) -> None:
    vectors = rng.standard_normal((args.records, args.dim)).astype(np.float32)
    data_mb = (vectors.nbytes + sum(len(f"r{i}") for i in range(args.records))) / 1e6
    print(f"disk: chroma.sqlite3 in MB; raw data (ids + float32 vectors) {data_mb:.1f} MB")
    for label, recovery, compact in (("off", False, False), ("on", True, False), ("on + compact", True, True)):
        with tempfile.TemporaryDirectory() as root:
            path = Path(root) / "s"
            url = f"chroma://{path}?recovery={str(recovery).lower()}"
            _upsert_all(url, vectors, args.batch, isolation="none")
            fresh = _mb(path)
            _upsert_all(url, vectors, args.batch, rounds=args.churn, isolation="none")
            churned = _mb(path)
            compacted = ""
            if compact:
                with vectorstore.open(url, isolation="none") as store:
                    removed = store.adapter.compact("bench")  # type: ignore[attr-defined]
                vacuumed = _vacuum(path)  # after close: VACUUM needs the database to itself
                compacted = f"  compact removed {removed} rows; file after VACUUM {vacuumed:.1f}"
            print(
                f"  recovery {label:13s} new ids {fresh:7.1f} ({fresh / data_mb:.2f}x)   after {args.churn} churn "
                f"rounds {churned:7.1f} ({churned / data_mb:.2f}x){compacted}"
            )


def _vacuum(path: Path) -> float:
    """sqlite keeps freed pages for reuse; VACUUM shows the size the compacted log really needs."""
    import sqlite3

    with sqlite3.connect(path / "chroma.sqlite3") as connection:
        connection.execute("VACUUM")
    return _mb(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--churn", type=int, default=4)
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    if not args.skip_timing:
        _timing(args, rng)
    _disk(args, rng)


if __name__ == "__main__":
    main()
