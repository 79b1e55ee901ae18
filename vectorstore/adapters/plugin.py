"""The core's own plugin: declares the reference ``memory`` adapter through the entry point, as any adapter would."""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..registry import AdapterSpec


@hookimpl
def vectorstore_adapters() -> list[AdapterSpec]:
    return [
        AdapterSpec(
            name="memory",
            schemes=("memory",),
            adapter="vectorstore.adapters.memory:MemoryAdapter",
            config="vectorstore.adapters.memory:MemoryConfig",
            description="exact numpy search in this process (the reference; not persistent)",
            distribution="vectorstore-core",
        )
    ]
