"""Framework integrations: our stores behind the vector-store interfaces of other libraries.

Each integration is an optional extra (``pip install 'vectorstore-core[langchain]'``) and imports its framework only
when its own module is imported, so the core never depends on one.
"""
