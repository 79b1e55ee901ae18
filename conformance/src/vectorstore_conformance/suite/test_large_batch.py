"""Large batches: 12,000 records in one upsert (above Chroma's 5,461 limit); get and delete of thousands of ids.

The store chunks writes to the adapter's declared ``max_batch``; this checks that the chunks all arrive, and that
the reads and deletes an adapter does itself also cope with thousands of ids in one call.
"""

from __future__ import annotations

from collections.abc import Callable

from vectorstore.store import VectorStore

from .. import data
from ..checks import expect_no_problems, vector_problem
from ..fixtures import StoreFixtures
from ..requirements import requires

N, DIM = 12_000, 8


class LargeBatchTests(StoreFixtures):
    group = "large_batch"

    @requires("filter_eq")
    def test_twelve_thousand_records(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=DIM)
        ids = data.ids("big-", N)
        vectors = data.gaussian(80, N, DIM)
        metadatas = [{"third": i % 3} for i in range(N)]
        assert store.upsert(name, ids, vectors, metadatas=metadatas).upserted == N
        assert store.count(name) == N
        assert store.count(name, where={"third": 1}) == N // 3

        wanted = ids[::-2][:6000]
        got = store.get(name, wanted, include=("vector",))
        assert [r.id for r in got] == wanted
        position = {record_id: i for i, record_id in enumerate(ids)}
        problems = [f"{r.id}: {p}" for r in got[::500] if (p := vector_problem(r.vector, vectors[position[r.id]]))]
        expect_no_problems(problems)

        assert store.delete(name, ids[:6000]) in (6000, None)
        assert store.count(name) == N - 6000
        assert [r.id for r in store.get(name, [ids[0], ids[5999], ids[6000], ids[-1]], include=())] == [ids[6000], ids[-1]]
        deleted = store.delete(name, where={"third": 1})
        assert deleted in (2000, None)
        assert store.count(name) == 4000
        assert store.count(name, where={"third": 1}) == 0
