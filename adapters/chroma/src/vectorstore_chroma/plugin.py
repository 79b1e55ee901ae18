"""Declares the ``chroma`` adapter through the ``vectorstore`` entry point group (without importing chromadb)."""

from __future__ import annotations

from vectorstore import AdapterSpec, hookimpl


@hookimpl
def vectorstore_adapters() -> list[AdapterSpec]:
    return [
        AdapterSpec(
            name="chroma",
            schemes=("chroma", "chroma+http", "chroma+https", "chroma+memory"),
            adapter="vectorstore_chroma.adapter:ChromaAdapter",
            config="vectorstore_chroma.config:ChromaConfig",
            default_isolation="process",
            description="ChromaDB: embedded on disk, in memory, or a chroma server (isolated in a worker by default)",
            distribution="vectorstore-chroma",
        )
    ]
