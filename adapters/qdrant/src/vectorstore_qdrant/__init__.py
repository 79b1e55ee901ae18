"""Qdrant adapter for vectorstore: one adapter, three engines chosen by URL.

- ``qdrant:///path``: the real Qdrant engine embedded in this process (qdrant-edge-py), one shard per collection;
- ``qdrant+http://host:6333`` / ``qdrant+https://...``: a Qdrant server or cluster through qdrant-client;
- ``qdrant+local:///path`` / ``qdrant+memory://``: qdrant-client's pure-Python local mode.

The package registers itself through the ``vectorstore`` entry point group (:mod:`.plugin`); importing it does not
import qdrant-client or qdrant-edge-py.
"""
