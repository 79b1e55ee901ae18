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
    assert str(rebuilt) == "collection 'docs' does not exist" and rebuilt.collection == "docs"  # type: ignore[attr-defined]
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
