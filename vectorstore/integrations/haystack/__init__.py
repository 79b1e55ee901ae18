"""Haystack 2.x integration: a ``DocumentStore`` and an embedding retriever over any vectorstore store.

A pipeline keeps its components and gets what the store gives every backend: one filter meaning, one score
meaning, string ids kept as given, and Chroma in a supervised worker process. Switching from
``haystack_integrations...ChromaDocumentStore`` is the store line::

    from vectorstore.integrations.haystack import VectorStoreDocumentStore, VectorStoreEmbeddingRetriever

    store = VectorStoreDocumentStore("chroma:///data/chroma", collection_name="docs", embedding_dim=384)
    retriever = VectorStoreEmbeddingRetriever(store, top_k=5)

See docs/integrations/haystack.md for the mapping of documents, filters and policies.
"""

try:
    import haystack  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "vectorstore.integrations.haystack needs haystack-ai; install it with: pip install 'vectorstore-core[haystack]'"
    ) from exc

from .document_store import SIMILARITIES, VectorStoreDocumentStore
from .filters import HaystackFilterError, UnsupportedHaystackFilter
from .retriever import VectorStoreEmbeddingRetriever

__all__ = [
    "SIMILARITIES",
    "HaystackFilterError",
    "UnsupportedHaystackFilter",
    "VectorStoreDocumentStore",
    "VectorStoreEmbeddingRetriever",
]
