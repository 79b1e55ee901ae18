"""Backfill while live (issue 14): copy a loaded isolated Chroma collection onto a Qdrant Edge shadow while a writer
keeps upserting, overwriting and deleting at a paced rate, and report how long it takes to converge.

The primary is loaded first (``--n`` x 384, not timed) and reopened shadowed; writer threads (``--writers``) then
send ``--rate`` records per second in all (batches of ``--batch``: new ids, overwrites of loaded ids, and a delete
every tenth batch) while ``ShadowedStore.backfill`` runs. Printed: the copy phase, the time to converge, the write
rate reached, and an equality check of the two stores from outside (every id, every vector within float32 rounding,
every metadata), which must hold.

    python bench/shadow_backfill.py --n 100000 --rate 200
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

import vectorstore

DIMENSION = 384


def _load(url: str, n: int) -> None:
    rng = np.random.default_rng(0)
    with vectorstore.open(url) as store:
        store.create_collection("docs", DIMENSION)
        for start in range(0, n, 1000):
            ids = [f"r{i}" for i in range(start, min(start + 1000, n))]
            store.upsert("docs", ids, rng.normal(size=(len(ids), DIMENSION)).astype(np.float32),
                         metadatas=[{"n": int(i[1:]), "v": 0} for i in ids])


class _Writer(threading.Thread):
    """Paced writes while the backfill runs: new ids, overwrites and deletes."""

    def __init__(self, store: vectorstore.VectorStore, n: int, rate: float, batch: int, seed: int) -> None:
        super().__init__(name=f"bench-writer-{seed}", daemon=True)
        self.store, self.n, self.batch, self.period, self.seed = store, n, batch, batch / rate, seed
        self.stop = threading.Event()
        self.records = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        rng = np.random.default_rng(self.seed)
        number, due = 0, time.perf_counter()
        try:
            while not self.stop.is_set():
                number += 1
                if number % 10 == 0:
                    doomed = dict.fromkeys(f"r{i}" for i in rng.integers(0, self.n, self.batch))
                    self.store.delete("docs", ids=list(doomed))
                else:
                    fresh = number % 2 == 0
                    ids = ([f"w{self.seed}-{number}-{i}" for i in range(self.batch)] if fresh
                           else [f"r{i}" for i in rng.integers(0, self.n, self.batch)])
                    ids = list(dict.fromkeys(ids))
                    self.store.upsert("docs", ids, rng.normal(size=(len(ids), DIMENSION)).astype(np.float32),
                                      metadatas=[{"n": -1, "v": number}] * len(ids))
                self.records += self.batch
                due += self.period
                self.stop.wait(max(0.0, due - time.perf_counter()))
        except BaseException as exc:  # noqa: BLE001 - reported by main
            self.error = exc


def _contents(store: vectorstore.VectorStore) -> dict[str, tuple[np.ndarray, object]]:
    return {
        record.id: (np.asarray(record.vector, dtype=np.float32), record.metadata)
        for batch in store.scan_batches("docs", batch_size=5000, include=["vector", "metadata"])
        for record in batch.records()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=200.0, help="records written per second during the backfill")
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--writers", type=int, default=2, help="threads sharing the rate")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-shadow-backfill-"))
    primary_url, shadow_url = f"chroma://{root}/primary", f"qdrant://{root}/shadow"
    started = time.perf_counter()
    _load(primary_url, args.n)
    print(f"loaded {args.n:,} x {DIMENSION} into the primary in {time.perf_counter() - started:.1f} s", flush=True)
    config = {"url": primary_url, "shadow": {"url": shadow_url, "journal": str(root / "journal.sqlite")}}
    with vectorstore.open(config=config) as store:
        writers = [_Writer(store, args.n, args.rate / args.writers, args.batch, seed) for seed in range(args.writers)]
        for writer in writers:
            writer.start()
        started = time.perf_counter()
        done = store.backfill(["docs"], timeout=3600)  # type: ignore[attr-defined]
        converged_s = time.perf_counter() - started
        for writer in writers:
            writer.stop.set()
            writer.join()
            if writer.error is not None:
                raise writer.error
        written = sum(writer.records for writer in writers)
        written_rate = written / converged_s
        caught_up = store.wait_caught_up(600)  # type: ignore[attr-defined]
        detail = store.journal.backfills()[-1].detail  # type: ignore[attr-defined]
        primary = _contents(store)
        shadow = _contents(store.applier.shadow)  # type: ignore[attr-defined]
    same_ids = primary.keys() == shadow.keys()
    differing = [i for i in primary if i in shadow and not (
        np.allclose(primary[i][0], shadow[i][0], rtol=1e-5, atol=1e-6) and primary[i][1] == shadow[i][1])]
    print(f"backfill {'done' if done else 'NOT DONE'} in {converged_s:.1f} s (copy {detail.get('copy_seconds')} s of "
          f"{detail.get('copied'):,} records, removed {detail.get('removed')}), while writing {written_rate:.0f} "
          f"records/s ({written:,} in all, {args.writers} writer threads); journal drained afterwards: {caught_up}")
    print(f"equal from outside: {'yes' if same_ids and not differing else 'NO'} ({len(primary):,} ids in the primary, "
          f"{len(shadow):,} in the shadow, {len(differing)} differing)")
    return 0 if done and caught_up and same_ids and not differing else 1


if __name__ == "__main__":
    raise SystemExit(main())
