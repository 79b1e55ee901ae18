"""How Chroma's exceptions map onto :mod:`vectorstore.errors`: the rules :func:`classify` gives the toolkit's
:class:`~vectorstore.toolkit.native_errors`, which raises the result with the native exception as ``__cause__``.

Chroma raises ``ChromaError`` subclasses, but not always the telling one: creating an existing collection is an
``InternalError`` embedded and a plain ``ChromaError`` over HTTP, a name Chroma dislikes is an
``InvalidArgumentError`` whose message starts with "Validation error: name". So the message decides where the class
does not. Transport failures of the HTTP client mean the server is unreachable: :class:`BackendUnavailable`.

One error is transient: a filtered read racing a delete of the same records can fail with ``InternalError: Error
executing plan: Internal error: Error finding id`` (backends.md 1, 6-10 per 320 queries while another thread deletes,
never without deletes). Reads are idempotent, so :func:`is_transient` lets the adapter retry them.
"""

from __future__ import annotations

import httpx
from chromadb.errors import ChromaError, InvalidArgumentError, NotFoundError

from vectorstore.errors import (
    BackendError,
    BackendUnavailable,
    CollectionExists,
    CollectionNotFound,
    InvalidCollectionName,
    VectorStoreError,
)

_UNREACHABLE = "Could not connect to a Chroma server"


def is_transient(exc: BaseException) -> bool:
    """Whether a read failed only because a concurrent delete moved records under it (safe to retry)."""
    return isinstance(exc, ChromaError) and "Error finding id" in str(exc)


def classify(exc: Exception, operation: str, collection: str | None) -> VectorStoreError:
    """The vectorstore error for a native exception raised by ``operation`` on ``collection``."""
    text = str(exc)
    where = f"collection {collection!r}" if collection else "chroma"
    if isinstance(exc, NotFoundError) or (isinstance(exc, ChromaError) and "does not exist" in text):
        if collection is not None:
            return CollectionNotFound(f"collection {collection!r} does not exist", collection=collection)
    if collection is not None and isinstance(exc, ChromaError) and "already exists" in text:
        return CollectionExists(f"collection {collection!r} already exists", collection=collection)
    if isinstance(exc, InvalidArgumentError) and "Validation error: name" in text:
        return InvalidCollectionName(f"chroma rejects the collection name {collection!r}: {text}", collection=collection)
    if isinstance(exc, httpx.TransportError) or (isinstance(exc, ValueError) and _UNREACHABLE in text):
        return BackendUnavailable(
            f"chroma server unreachable during {operation} ({type(exc).__name__}: {text}); check that it is running",
            operation=operation,
            collection=collection,
        )
    return BackendError(
        f"chroma {operation} failed on {where}: {type(exc).__name__}: {text}",
        operation=operation,
        collection=collection,
    )
