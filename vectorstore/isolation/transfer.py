"""Framing of one message over a duplex pipe, with numpy buffers kept out of the pickle stream.

A message is pickled with protocol 5 and a ``buffer_callback``, so a contiguous numpy array contributes its raw
bytes as a separate buffer instead of being copied element by element into the pickle. On the wire::

    frame 0  layout: b"" when there are no buffers, else a pickled tuple of (segment name or None, offset, size)
    frame 1  the pickle stream
    frame 2+ one raw frame per buffer whose layout entry names no segment

Buffers of at least ``threshold`` bytes go through the host's shared-memory :class:`~.arena.Arena` when one is
given (requests); everything else, and every reply, goes through the pipe. The receiver gets writable copies.
"""

from __future__ import annotations

import pickle
from multiprocessing.connection import Connection
from typing import Any

from .arena import Arena, Attachments, aligned, view

_Entry = tuple[str | None, int, int]


class Channel:
    """One end of a worker's pipe. Not thread-safe: the supervisor serialises calls to a worker."""

    def __init__(self, conn: Connection, arena: Arena | None = None, threshold: int = 64 << 10) -> None:
        self.conn = conn
        self.arena = arena
        self.threshold = threshold
        self._attachments = Attachments()

    def send(self, message: Any) -> None:
        buffers: list[pickle.PickleBuffer] = []
        payload = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
        if not buffers:
            self.conn.send_bytes(b"")
            self.conn.send_bytes(payload)
            return
        views = [buffer.raw() for buffer in buffers]
        layout = self._place(views)
        self.conn.send_bytes(pickle.dumps(layout, protocol=5))
        self.conn.send_bytes(payload)
        for raw, (segment, _, _) in zip(views, layout):
            if segment is None:
                self.conn.send_bytes(raw)
        for buffer in buffers:
            buffer.release()

    def _place(self, views: list[memoryview]) -> list[_Entry]:
        """Copy the large buffers into the arena when they fit; the rest are sent as frames."""
        large = [view for view in views if view.nbytes >= self.threshold]
        segment = self.arena.reserve(sum(aligned(v.nbytes) for v in large)) if self.arena and large else None
        layout: list[_Entry] = []
        offset = 0
        for buffer in views:
            if segment is not None and buffer.nbytes >= self.threshold:
                view(segment)[offset : offset + buffer.nbytes] = buffer
                layout.append((segment.name, offset, buffer.nbytes))
                offset += aligned(buffer.nbytes)
            else:
                layout.append((None, 0, buffer.nbytes))
        return layout

    def recv(self) -> Any:
        """The next message; raises EOFError or OSError when the other end is gone."""
        header = self.conn.recv_bytes()
        payload = self.conn.recv_bytes()
        if not header:
            return pickle.loads(payload)
        buffers = [self._read(entry) for entry in pickle.loads(header)]
        return pickle.loads(payload, buffers=buffers)

    def _read(self, entry: _Entry) -> bytearray:
        segment, offset, size = entry
        if segment is not None:
            return self._attachments.copy(segment, offset, size)
        data = bytearray(size)
        self.conn.recv_bytes_into(data)
        return data

    def close(self) -> None:
        self._attachments.close()
        self.conn.close()
