"""Message framing over a real pipe: numpy buffers out of band, large ones through the pooled shared memory."""

from __future__ import annotations

import threading
from multiprocessing import Pipe
from typing import Any

import numpy as np
import pytest

from vectorstore.batch import RecordBatch
from vectorstore.isolation.arena import Arena
from vectorstore.isolation.transfer import Channel

THRESHOLD = 1 << 10


def _exchange(sender: Channel, receiver: Channel, message: Any) -> Any:
    """Send from a thread (a pipe holds only ~64 KiB, so one thread alone would block) and receive here."""
    thread = threading.Thread(target=sender.send, args=(message,))
    thread.start()
    received = receiver.recv()
    thread.join(timeout=30)
    assert not thread.is_alive()
    return received


@pytest.fixture
def channels() -> Any:
    host_end, worker_end = Pipe(duplex=True)
    arena = Arena(limit=64 << 20)
    host = Channel(host_end, arena, threshold=THRESHOLD)
    worker = Channel(worker_end)
    yield host, worker, arena
    host.close()
    worker.close()
    arena.close()


def _segments(message: Any, host: Channel) -> list[str | None]:
    """Where each buffer of ``message`` would go (segment name or None for a pipe frame)."""
    import pickle

    buffers: list[pickle.PickleBuffer] = []
    pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    layout, segment = host._place([buffer.raw() for buffer in buffers])
    if segment is not None:
        host.arena.release(segment)  # type: ignore[union-attr]
    return [entry[0] for entry in layout]


def test_a_record_batch_arrives_equal_and_writable(channels: Any) -> None:
    host, worker, _ = channels
    rng = np.random.default_rng(1)
    batch = RecordBatch(["a", "b", "c"], rng.random((3, 500), dtype=np.float32), ["x", None, "z"], [{"k": 1}, {}, {}])
    received = _exchange(host, worker, ("upsert", ("docs", batch)))
    got = received[1][1]
    assert got.ids == batch.ids and got.documents == batch.documents and got.metadatas == batch.metadatas
    np.testing.assert_array_equal(got.vectors, batch.vectors)
    assert got.vectors.dtype == np.float32 and got.vectors.flags.writeable


def test_large_buffers_use_shared_memory_and_small_ones_the_pipe(channels: Any) -> None:
    host, _, _ = channels
    small, large = np.ones(8, dtype=np.float32), np.ones((100, 384), dtype=np.float32)
    places = _segments((small, large), host)
    assert places[0] is None and places[1] is not None


def test_received_arrays_do_not_alias_the_reused_segment(channels: Any) -> None:
    host, worker, _ = channels
    first = np.full((64, 64), 1.0, dtype=np.float32)
    second = np.full((64, 64), 2.0, dtype=np.float32)
    got_first = _exchange(host, worker, first)
    got_second = _exchange(host, worker, second)  # written over the same place in the segment
    first[:] = 7.0  # nor the sender's array
    assert float(got_first.min()) == float(got_first.max()) == 1.0
    assert float(got_second.min()) == 2.0


def test_requests_in_flight_each_get_a_segment_and_a_released_one_is_reused() -> None:
    arena = Arena(limit=16 << 20)
    try:
        first, second = arena.reserve(1), arena.reserve(1)
        assert first is not None and second is not None and first.name != second.name  # both in flight
        arena.release(first)
        assert arena.reserve(1) is first  # answered: free for the next request
        assert arena.reserve(9 << 20) is None  # 4 + 4 in use, 16 MiB for one more would pass the limit
        arena.release(first)
        arena.release(second)
        bigger = arena.reserve(9 << 20)  # the free 4 MiB ones are unlinked to make room
        assert bigger is not None and bigger.size >= 9 << 20
        from multiprocessing import shared_memory

        for gone in (first, second):
            with pytest.raises(FileNotFoundError):
                shared_memory.SharedMemory(name=gone.name)
        arena.release(bigger)
    finally:
        arena.close()


def test_requests_above_the_limit_go_through_the_pipe() -> None:
    host_end, worker_end = Pipe(duplex=True)
    arena = Arena(limit=1 << 20)
    host, worker = Channel(host_end, arena, threshold=THRESHOLD), Channel(worker_end)
    try:
        big = np.arange(1 << 19, dtype=np.float32)  # 2 MiB
        assert _segments(big, host) == [None]
        np.testing.assert_array_equal(_exchange(host, worker, big), big)
    finally:
        host.close()
        worker.close()
        arena.close()


def test_replies_without_an_arena_use_frames(channels: Any) -> None:
    host, worker, _ = channels
    rows = [np.arange(10_000, dtype=np.float64), np.zeros((0, 3), dtype=np.float32)]
    got = _exchange(worker, host, {"rows": rows, "n": 3})
    np.testing.assert_array_equal(got["rows"][0], rows[0])
    assert got["rows"][1].shape == (0, 3) and got["n"] == 3


def test_non_contiguous_arrays_still_arrive_equal(channels: Any) -> None:
    host, worker, _ = channels
    strided = np.arange(40_000, dtype=np.float32).reshape(200, 200)[:, ::2]
    np.testing.assert_array_equal(_exchange(host, worker, strided), strided)
