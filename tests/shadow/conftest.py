"""Shadowed stores on real backends: Chroma (isolated, its default) as primary, Qdrant's embedded engine as shadow.

Expected contents never come from the code under test: the tests compare the two stores from outside (each opened
on its own after the shadowed store is closed), record by record, or against data the test itself generated.
"""

from __future__ import annotations

import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import vectorstore
from vectorstore import VectorStore

DIMENSION = 16
#: Generous bound for the applier to drain (the condition is waited for, never slept on).
DRAIN_S = 120.0
ALL = ["vector", "document", "metadata"]


@dataclass
class Pair:
    primary: str
    shadow: str
    #: None: the default journal (``./.vectorstore/shadow/...`` of the working directory), which ``migrate`` finds.
    journal: Path | None
    directory: Path

    def config(self, **shadow: Any) -> dict[str, Any]:
        journal = {} if self.journal is None else {"journal": str(self.journal)}
        return {"url": self.primary, "shadow": {"url": self.shadow, **journal, **shadow}}

    def open(self, **shadow: Any) -> VectorStore:
        return vectorstore.open(config=self.config(**shadow))

    def toml(self, **shadow: Any) -> Path:
        """A configuration file naming this pair (what cutover edits)."""
        extra = "".join(f"{key} = {value!r}\n" for key, value in shadow.items())
        path = self.directory / "vectorstore.toml"
        path.write_text(textwrap.dedent(f"""\
            # the application's store
            [vectorstore]
            url = "{self.primary}"

            [vectorstore.shadow]
            url = "{self.shadow}"   # where it moves to
            journal = "{self.journal}"
            """) + extra, encoding="utf-8")
        return path


@pytest.fixture
def pair(tmp_path: Path) -> Pair:
    return Pair(f"chroma://{tmp_path}/chroma", f"qdrant://{tmp_path}/qdrant", tmp_path / "journal.sqlite", tmp_path)


def records(i: int, n: int, rng: np.random.Generator, tag: str = "") -> dict[str, Any]:
    """``n`` records with ids ``r{i}``..., vectors, documents and typed metadata (some without)."""
    ids = [f"r{j}" for j in range(i, i + n)]
    return {
        "ids": ids,
        "vectors": rng.normal(size=(n, DIMENSION)).astype(np.float32),
        "documents": [None if j % 7 == 0 else f"doc {j}{tag}" for j in range(i, i + n)],
        "metadatas": [{} if j % 5 == 0 else {"n": j, "f": j / 4, "b": j % 2 == 0, "t": f"t{j % 3}{tag}", "l": [j, 1]}
                      for j in range(i, i + n)],
    }


def contents(url: str, name: str) -> dict[str, tuple[np.ndarray, str | None, dict[str, Any]]]:
    """Everything a store holds in one collection, opened on its own."""
    with vectorstore.open(url) as store:
        found = {}
        for batch in store.scan(name, include=ALL):
            for record in batch:
                found[record.id] = (np.asarray(record.vector, dtype=np.float64), record.document, record.metadata)
        return found


def assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Same ids; per record the same document, the same metadata (with types) and vectors within float32 rounding."""
    assert sorted(a) == sorted(b), (sorted(set(a) - set(b))[:10], sorted(set(b) - set(a))[:10])
    for record_id, (vector, document, metadata) in a.items():
        other_vector, other_document, other_metadata = b[record_id]
        assert document == other_document, record_id
        assert metadata == other_metadata, record_id
        assert {k: type(v) for k, v in metadata.items()} == {k: type(v) for k, v in other_metadata.items()}, record_id
        np.testing.assert_allclose(vector, other_vector, rtol=0, atol=1e-5 * max(1.0, float(np.linalg.norm(vector))))


def python() -> str:
    return sys.executable
