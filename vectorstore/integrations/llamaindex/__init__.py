"""LlamaIndex integration: a ``BasePydanticVectorStore`` over any vectorstore store.

An index keeps its code and gets what the store gives every backend: one filter meaning (every ``FilterOperator``
translated exactly or refused), one score meaning, and Chroma in a supervised worker process. Switching from
``ChromaVectorStore`` is the vector-store line::

    from llama_index.core import StorageContext, VectorStoreIndex
    from vectorstore.integrations.llamaindex import LlamaIndexVectorStore

    vector_store = LlamaIndexVectorStore("chroma:///data/chroma", collection_name="docs")
    index = VectorStoreIndex.from_documents(documents, storage_context=StorageContext.from_defaults(vector_store=vector_store))

See docs/integrations/llamaindex.md.
"""

try:
    import llama_index.core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "vectorstore.integrations.llamaindex needs llama-index-core; "
        "install it with: pip install 'vectorstore-core[llamaindex]'"
    ) from exc

from .filters import translate
from .vector_store import DEFAULT_COLLECTION, LlamaIndexVectorStore

__all__ = ["DEFAULT_COLLECTION", "LlamaIndexVectorStore", "translate"]
