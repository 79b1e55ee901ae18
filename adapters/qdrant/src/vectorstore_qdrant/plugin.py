"""Declares the ``qdrant`` adapter through the ``vectorstore`` entry point group; imports no Qdrant package."""

from __future__ import annotations

from vectorstore.hookspecs import hookimpl
from vectorstore.registry import AdapterSpec


@hookimpl
def vectorstore_adapters() -> list[AdapterSpec]:
    return [
        AdapterSpec(
            name="qdrant",
            schemes=("qdrant", "qdrant+http", "qdrant+https", "qdrant+local", "qdrant+memory"),
            adapter="vectorstore_qdrant.adapter:QdrantAdapter",
            config="vectorstore_qdrant.config:QdrantConfig",
            default_isolation="none",
            description="Qdrant: embedded engine (qdrant-edge-py), qdrant-client local mode, or a server/cluster",
            distribution="vectorstore-qdrant",
        )
    ]
