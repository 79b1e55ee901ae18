"""LangChain integration tests: the standard suite and our additions, on every backend."""
