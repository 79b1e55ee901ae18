"""The README's main job (``vectorstore demo-migration``): sample data into Chroma (isolated), migrate to embedded
Qdrant, verify, trial, report. A demo of the library, so it lives with the CLI: the library never imports it.

Both stores live under one demo directory; the demo replaces its own collection on each run (through the contract,
so nothing else in the directory is touched) and leaves the stores and the report behind for the reader to open.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .. import open as open_store
from ..io import read_records
from ..migration import Observer, Report, migrate, write_report
from ..sample import RECORDS as SAMPLE

COLLECTION = "stdlib_docs"
WHERES = ({"has_example": True},)


def stores(directory: Path) -> tuple[str, str]:
    """The demo's source and target URLs: Chroma's default (isolated) and Qdrant's embedded engine."""
    return f"chroma://{directory.resolve() / 'chroma'}", f"qdrant://{directory.resolve() / 'qdrant'}"


def ingest_sample(url: str, sample: Path, collection: str, say: Callable[[str], None]) -> int:
    """Load the sample into a fresh collection at ``url``; returns how many records it holds."""
    batch = read_records(sample, collection)
    with open_store(url) as store:
        store.delete_collection(collection, missing_ok=True)
        store.create_collection(collection, batch.dimension, "cosine")
        for chunk in batch.chunks(1000):
            store.upsert(collection, chunk)
        count = store.count(collection)
    say(f"ingested {count:,} records from {sample.name} into {url} (collection {collection!r})")
    return count


def run_demo(
    directory: Path,
    *,
    sample: Path = SAMPLE,
    observer: Observer | None = None,
    say: Callable[[str], None] = print,
    trial_queries: int = 100,
) -> tuple[Report, Path]:
    """Run the whole story; returns the migration report and the path of its HTML page."""
    source, target = stores(directory)
    ingest_sample(source, sample, COLLECTION, say)
    with open_store(target) as store:
        store.delete_collection(COLLECTION, missing_ok=True)
    say(f"migrating {COLLECTION!r} from {source} to {target}")
    report = migrate(
        source, target, [COLLECTION], checkpoint_dir=directory / "checkpoints", wheres=WHERES, observer=observer,
        restart=True, trial_queries=trial_queries,
    )
    _, html = write_report(report, directory / "report")
    return report, html
