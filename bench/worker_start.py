"""Open -> first result of an isolated Chroma store: workers from a forkserver vs spawned, and raw chromadb (issue 10).

Every round copies one prepared store (1,000 x 384) to three new directories and times, in turn (the order rotating
each round), ``vectorstore.open`` + one ``search`` with the worker forked by the forkserver, the same with a spawned
worker, and raw chromadb's ``PersistentClient`` + ``get_collection`` + ``query``. Prints the median of each side and
the ratios; the forkserver's own start (once per host) is reported apart.

    python bench/worker_start.py --rounds 7
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import vectorstore

N, DIM = 1_000, 384


def _prepare(root: Path) -> tuple[Path, np.ndarray]:
    vectors = np.random.default_rng(0).standard_normal((N, DIM)).astype(np.float32)
    source = root / "source"
    with vectorstore.open(f"chroma://{source}?isolation=none") as store:
        store.create_collection("docs", DIM)
        store.upsert("docs", [f"id{i}" for i in range(N)], vectors)
    return source, vectors[0]


def _isolated(method: str) -> Callable[[Path, np.ndarray], None]:
    def first_result(path: Path, query: np.ndarray) -> None:
        os.environ["VECTORSTORE_WORKER_START"] = method
        with vectorstore.open(f"chroma://{path}?isolation=process") as store:
            assert store.search("docs", query, k=10)

    return first_result


def _raw(path: Path, query: np.ndarray) -> None:
    import chromadb

    client = chromadb.PersistentClient(path=str(path))
    assert client.get_collection("docs").query(query_embeddings=[query], n_results=10)["ids"][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    sides: dict[str, Callable[[Path, np.ndarray], None]] = {
        "forkserver": _isolated("forkserver"),
        "spawn": _isolated("spawn"),
        "raw chromadb": _raw,
    }
    timings: dict[str, list[float]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        source, query = _prepare(root)
        started = time.perf_counter()
        _isolated("forkserver")(shutil.copytree(source, root / "cold"), query)
        cold = time.perf_counter() - started
        for number in range(args.rounds):
            order = list(sides)[number % 3 :] + list(sides)[: number % 3]
            for side in order:
                path = shutil.copytree(source, root / f"{side.replace(' ', '-')}-{number}")
                started = time.perf_counter()
                sides[side](path, query)
                timings[side].append(time.perf_counter() - started)
    medians = {side: statistics.median(values) for side, values in timings.items()}
    print(f"open -> first result, median of {args.rounds} rounds ({N} x {DIM}, k=10):")
    for side, value in medians.items():
        print(f"  {side:>12}: {value * 1000:7.1f} ms   ({value / medians['raw chromadb']:.2f}x raw)")
    print(f"  spawn / forkserver: {medians['spawn'] / medians['forkserver']:.2f}")
    print(f"  first forkserver store of the host (starts the forkserver): {cold * 1000:.1f} ms")


if __name__ == "__main__":
    main()
