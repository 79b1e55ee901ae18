"""How an exception raised in the worker crosses into the host: type, message, attributes and cause."""

from __future__ import annotations

import pickle

from vectorstore.errors import BackendError, CollectionNotFound
from vectorstore.isolation.protocol import Failure, RemoteTraceback


def _through_the_pipe(failure: Failure) -> Failure:
    return pickle.loads(pickle.dumps(failure, protocol=5))  # type: ignore[no-any-return]


def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


def test_typed_error_keeps_message_attributes_and_native_cause() -> None:
    try:
        try:
            raise KeyError("native detail")
        except KeyError as native:
            raise CollectionNotFound("collection 'docs' does not exist", collection="docs") from native
    except CollectionNotFound as exc:
        rebuilt = _through_the_pipe(Failure.capture(exc)).rebuild()
    assert type(rebuilt) is CollectionNotFound
    assert str(rebuilt) == "collection 'docs' does not exist" and rebuilt.context == {"collection": "docs"}
    assert isinstance(rebuilt.__cause__, KeyError) and rebuilt.__cause__.args == ("native detail",)
    remote = rebuilt.__cause__.__cause__
    assert isinstance(remote, RemoteTraceback) and "native detail" in remote.text and "test_protocol.py" in remote.text


class _Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:  # pickle calls cls(*args): one arg short on the way back
        super().__init__(f"{a}/{b}")


def test_an_exception_that_cannot_cross_becomes_a_backend_error_naming_it() -> None:
    rebuilt = _through_the_pipe(Failure.capture(_raised(_Unpicklable(1, 2)))).rebuild()
    assert type(rebuilt) is BackendError and str(rebuilt) == "_Unpicklable: 1/2"
    assert isinstance(rebuilt.__cause__, RemoteTraceback)


def test_a_cause_that_cannot_cross_is_replaced_by_the_remote_traceback() -> None:
    try:
        try:
            raise _Unpicklable(3, 4)
        except _Unpicklable as native:
            raise BackendError("chroma failed") from native
    except BackendError as exc:
        rebuilt = _through_the_pipe(Failure.capture(exc)).rebuild()
    assert isinstance(rebuilt.__cause__, RemoteTraceback) and "_Unpicklable: 3/4" in rebuilt.__cause__.text


def test_the_native_traceback_keeps_the_threads_that_matter() -> None:
    from vectorstore.isolation.process import native_tail

    log = """Fatal Python error: Segmentation fault

Thread 0x00007f0001 (most recent call first):
  File "/x/multiprocessing/connection.py", line 947 in wait
  File "/x/vectorstore/isolation/worker.py", line 74 in watch
  File "/x/threading.py", line 982 in run
Thread 0x00007f0002 (most recent call first):
  File "/x/chromadb/api/rust.py", line 500 in _query
Current thread 0x00007f0003 (most recent call first):
  File "/x/vectorstore_chroma/adapter.py", line 210 in upsert
  File "/x/multiprocessing/process.py", line 108 in run
  File "/x/multiprocessing/spawn.py", line 135 in _main
  File "<string>", line 1 in <module>

Extension modules: numpy.core._multiarray_umath, chromadb_rust_bindings (total: 2)
"""
    assert native_tail(log).splitlines() == [
        "Fatal Python error: Segmentation fault",
        "Thread 0x00007f0002 (most recent call first):",
        '  File "/x/chromadb/api/rust.py", line 500 in _query',
        "Current thread 0x00007f0003 (most recent call first):",
        '  File "/x/vectorstore_chroma/adapter.py", line 210 in upsert',
    ]
