"""Caller-path cost of shadowing, and whether the applier keeps pace (Chroma isolated primary, Qdrant edge shadow).

Ratios are measured interleaved: each round runs the plain store and the shadowed store back to back (alternating
which goes first), and the medians of the rounds are compared. Prints:

- upsert latency shadowed / plain (batches of 100 x 384);
- query latency shadowed (10 % mirrored) / plain;
- how long after the round's last write the journal had drained (the applier keeps pace when this stays small).

    python bench/shadow.py --rounds 5 --batches 20
    python bench/shadow.py --reply-spin-ms 10       # both stores' lone calls poll for their replies
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import vectorstore

DIMENSION = 384


def _batch(rng: np.random.Generator, start: int, size: int) -> dict:
    return {"ids": [f"r{i}" for i in range(start, start + size)],
            "vectors": rng.normal(size=(size, DIMENSION)).astype(np.float32),
            "metadatas": [{"n": i} for i in range(start, start + size)]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--reply-spin-ms", type=float, default=0.0, help="both stores' reply_spin_ms (default 0)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    root = Path(tempfile.mkdtemp(prefix="bench-shadow-"))
    spin = f"?reply_spin_ms={args.reply_spin_ms}"
    plain_url, primary_url = f"chroma://{root}/plain{spin}", f"chroma://{root}/primary{spin}"
    config = {"url": primary_url, "shadow": {"url": f"qdrant://{root}/shadow", "mirror_fraction": 0.1, "seed": 0,
                                             "journal": str(root / "journal.sqlite")}}
    upsert_ratio, query_ratio = [], []
    with vectorstore.open(plain_url) as plain, vectorstore.open(config=config) as shadowed:
        for store in (plain, shadowed):
            store.create_collection("docs", DIMENSION, exist_ok=True)
        shadowed.wait_caught_up(60)
        for round_number in range(args.rounds):
            batches = [_batch(rng, round_number * 100_000 + b * args.size, args.size) for b in range(args.batches)]
            times = {}
            order = (plain, shadowed) if round_number % 2 == 0 else (shadowed, plain)
            for store in order:
                started = time.perf_counter()
                for batch in batches:
                    store.upsert("docs", **batch)
                times[store is shadowed] = time.perf_counter() - started
            upsert_ratio.append(times[True] / times[False])
            drain_started = time.perf_counter()
            shadowed.wait_caught_up(600)
            replay_s = time.perf_counter() - drain_started
            queries = rng.normal(size=(args.queries, DIMENSION)).astype(np.float32)
            qtimes = {}
            for store in order:
                started = time.perf_counter()
                for vector in queries:
                    store.search("docs", vector, 10)
                qtimes[store is shadowed] = time.perf_counter() - started
            query_ratio.append(qtimes[True] / qtimes[False])
            assert shadowed.mirror is not None
            shadowed.mirror.drain(600)
            print(f"round {round_number}: upsert {upsert_ratio[-1]:.3f}, query {query_ratio[-1]:.3f}, "
                  f"journal drained {replay_s * 1000:.0f} ms after the last write", flush=True)
        print(f"upsert latency shadowed/plain: median {statistics.median(upsert_ratio):.3f} (target <= 1.10)")
        print(f"query latency shadowed (10% mirrored)/plain: median {statistics.median(query_ratio):.3f} (target <= 1.03)")
        print(f"stats: {shadowed.stats()['shadow']['lag']}, applier {shadowed.stats()['shadow']['applier']['applied_records']} records")


if __name__ == "__main__":
    main()
