"""A host for the tether test: opens an isolated Chroma store at ``argv[1]``, prints its worker's pid, then hangs
that worker inside a call in native code holding the GIL (``native_hang``) and waits there to be SIGKILLed. Run as
a script, with ``VECTORSTORE_ISOLATION_FAULTS=1`` in its environment."""

from __future__ import annotations

import sys

import vectorstore


def main(path: str) -> None:
    store = vectorstore.open(f"chroma://{path}", timeout_s=600)
    store.create_collection("docs", 4, exist_ok=True)
    store.adapter._inject_fault("native_hang", "count")
    print("pid", store.stats()["worker"]["pid"], flush=True)
    store.count("docs")  # never returns: the test kills this process meanwhile


if __name__ == "__main__":
    main(sys.argv[1])
