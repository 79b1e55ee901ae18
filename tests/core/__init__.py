"""Tests of the core: validation, filters, scores, the memory adapter, the store, configuration, registry, CLI."""
