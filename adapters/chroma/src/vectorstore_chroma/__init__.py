"""ChromaDB adapter for vectorstore.

Importing this package does not import chromadb: the registry loads :mod:`vectorstore_chroma.plugin` (a spec of
dotted paths) at start-up and imports :mod:`vectorstore_chroma.adapter` only when a ``chroma`` store is opened.
"""
