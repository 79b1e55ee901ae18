"""What ``migrate(..., parallel=N)`` gains over one collection at a time: Chroma (isolated) -> Qdrant's embedded engine.

The source holds ``--collections`` collections of ``--n`` records each, written with chromadb in a spawned process.
Each round migrates all of them end to end (plan, copy, verify) once with ``parallel=1`` and once with
``parallel=--parallel``, in alternating order, into fresh target collections; the medians and their ratio are printed.

The copy of one collection already overlaps the source's scan with the target's writes; what ``parallel`` adds is
overlapping one collection's planning and verification (round trips to both stores) with another's copy, and
keeping the isolation worker's threads busy with several scans. On a machine where the host process is already
bound by one core (Qdrant Edge's point building holds the GIL), expect less than N. Usage::

    python bench/migration_parallel.py                 # 4 collections x 10,000 x 384, parallel 2 vs 1
    python bench/migration_parallel.py --collections 4 --n 5000 --parallel 4 --repeat 5
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

from migration import write_native  # bench/migration.py, beside this script

import vectorstore
from vectorstore.migration import migrate


def write_all(path: str, names: list[str], n: int, dimension: int) -> None:
    """Each collection as ``bench/migration.py`` writes its one."""
    for name in names:
        write_native(path, n, dimension, 5000, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--collections", type=int, default=4)
    parser.add_argument("--n", type=int, default=10_000, help="records per collection")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5, help="rounds; medians are printed")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vs-bench-migration-parallel-"))
    names = [f"bench-{i}" for i in range(args.collections)]
    started = time.perf_counter()
    writer = multiprocessing.get_context("spawn").Process(
        target=write_all, args=(str(work / "chroma"), names, args.n, args.dim)
    )
    writer.start()
    writer.join()
    total = args.collections * args.n
    print(f"source: {args.collections} x {args.n:,} x {args.dim} written in {time.perf_counter() - started:.0f} s")

    seconds: dict[int, list[float]] = {1: [], args.parallel: []}
    source, target = vectorstore.open(f"chroma://{work / 'chroma'}"), vectorstore.open(f"qdrant://{work / 'q'}")
    with source, target:
        for round_ in range(args.repeat):
            order = [1, args.parallel] if round_ % 2 == 0 else [args.parallel, 1]
            for parallel in order:
                for name in names:
                    target.delete_collection(name, missing_ok=True)
                began = time.perf_counter()
                report = migrate(source, target, names, trial_queries=0, parallel=parallel,
                                 checkpoint_dir=work / "checkpoints")
                seconds[parallel].append(time.perf_counter() - began)
                assert report.ok, report.to_json()
            print(f"round {round_ + 1}: " + ", ".join(
                f"parallel {p}: {total / seconds[p][-1]:,.0f} records/s" for p in sorted(seconds)))

    one, many = statistics.median(seconds[1]), statistics.median(seconds[args.parallel])
    print(f"\nmedians over {args.repeat} rounds, {args.collections} collections x {args.n:,} x {args.dim}, end to end:")
    print(f"  parallel 1   {total / one:10,.0f} records/s  ({one:.2f} s)")
    print(f"  parallel {args.parallel:<3} {total / many:10,.0f} records/s  ({many:.2f} s)")
    print(f"  speed-up     {one / many:10.2f} x")


if __name__ == "__main__":
    main()
