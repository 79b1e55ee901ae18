"""A host process for the SIGKILL test: writes a deterministic stream through a shadowed store and prints the
number of each write after it returned. Run as ``python writer.py CONFIG_JSON``; it never stops by itself."""

from __future__ import annotations

import json
import sys

import numpy as np

import vectorstore

DIMENSION = 8


def step(i: int) -> tuple[str, dict]:
    """Write number ``i`` of the stream: upserts of new ids, a rewrite of one hot id, and deletes of older ids."""
    rng = np.random.default_rng(i)
    if i % 3 == 2:
        return "delete", {"ids": [f"s{i - 2}-0", f"s{i - 1}-1"]}
    ids = [f"s{i}-{j}" for j in range(4)] + ["hot"]
    vectors = rng.normal(size=(5, DIMENSION)).astype(np.float32)
    return "upsert", {"ids": ids, "vectors": vectors, "documents": [f"w{i}"] * 5,
                      "metadatas": [{"i": i, "j": j} for j in range(5)]}


def expected(count: int) -> dict[str, tuple[np.ndarray, str, dict]]:
    """What a store holds after the first ``count`` writes."""
    state: dict[str, tuple[np.ndarray, str, dict]] = {}
    for i in range(count):
        op, args = step(i)
        if op == "delete":
            for record_id in args["ids"]:
                state.pop(record_id, None)
        else:
            for position, record_id in enumerate(args["ids"]):
                state[record_id] = (args["vectors"][position], args["documents"][position], args["metadatas"][position])
    return state


def main() -> None:
    store = vectorstore.open(config=json.loads(sys.argv[1]))
    store.create_collection("docs", DIMENSION, exist_ok=True)
    print("ready", flush=True)
    i = 0
    while True:
        op, args = step(i)
        getattr(store, op)("docs", **args)
        print(i, flush=True)
        i += 1


if __name__ == "__main__":
    main()
