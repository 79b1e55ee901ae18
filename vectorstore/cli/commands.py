"""Core commands: info, collections, create, indexes, ingest, count, query, demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .. import indexes as payload_indexes
from .. import open as open_store
from .. import typedjson, validation
from ..config import resolve
from ..errors import CollectionNotFound, InvalidInput
from ..indexes import IndexKind
from ..io import first_dimension, read_queries, read_records, read_rows, to_batch
from ..isolation import quarantine_record
from ..models import Match
from ..registry import fix_plugins, registry
from ..sample import QUERIES as SAMPLE_QUERIES
from ..sample import RECORDS as SAMPLE_RECORDS
from ..sharing import local_path
from .app import URL_HELP, command, console, errors, fail

DEFAULT_COLLECTION = "rag_documents"

UrlOption = typer.Option(None, "--url", "-u", help=URL_HELP)
CollectionOption = typer.Option(DEFAULT_COLLECTION, "--collection", "-c", help="Collection name.")
IndexOption = typer.Option(
    None, "--index", help="Payload index KEY:KIND, KIND one of keyword, integer, float, bool (repeatable)."
)


def _index_options(texts: Optional[list[str]]) -> dict[str, IndexKind]:
    """``--index year:integer`` options as ``{key: kind}``, all validated before anything is done."""
    declared = {}
    for text in texts or ():
        key, colon, kind = text.rpartition(":")
        if not colon or not key:
            raise fail(f"--index {text!r}: expected KEY:KIND, e.g. --index year:integer", code=2)
        declared[key] = kind
    return payload_indexes.indexes(declared, "--index")


def _json_option(text: Optional[str], what: str) -> Any:
    if text is None:
        return None
    try:
        return typedjson.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"{what} is not valid JSON: {exc}", code=2) from None
    except ValueError as exc:  # a {"$datetime": ...} or {"$date": ...} that is not ISO 8601
        raise fail(f"{what}: {exc}", code=2) from None


@command()
def info(url: Optional[str] = UrlOption) -> None:
    """Adapters found (versions, URL schemes, capabilities), the store the configuration resolves to, and the
    collections its host has quarantined (read from the store's quarantine record: the store is not opened)."""
    table = Table(title="adapters")
    for column in ("name", "version", "schemes", "isolation", "capabilities"):
        table.add_column(column)
    for spec in registry().adapters().values():
        try:
            caps = spec.load_adapter().capabilities
            flags = [f"metrics={','.join(sorted(caps.metrics))}", f"filters={len(caps.filter_operators)} ops"]
            flags += [
                name
                for name in ("persistent", "server", "exact_search", "document_contains", "payload_indexes")
                if getattr(caps, name)
            ]
            if caps.max_batch:
                flags.append(f"max_batch={caps.max_batch}")
            capabilities = " ".join(flags)
        except Exception as exc:  # an adapter whose backend is missing still gets its row
            capabilities = f"[red]unavailable: {escape(str(exc))}[/]"
        table.add_row(
            spec.name, spec.version() or "-", " ".join(f"{s}://" for s in spec.schemes), spec.default_isolation,
            capabilities,
        )
    console.print(table)
    for failure in registry().failures():  # a broken plugin is a warning here; only its own scheme fails to open
        message = f"{failure.describe()}; {fix_plugins((failure,))}"
        errors.print(f"[bold yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)
    resolved = resolve(url)
    console.print(f"store: [bold]{resolved.url}[/] (from {resolved.source}, isolation {resolved.isolation})")
    directory = local_path(resolved)
    if directory is not None:
        for line in quarantine_record.describe(quarantine_record.read(directory), resolved.url):
            console.print(escape(line), highlight=False, soft_wrap=True)


@command()
def collections(url: Optional[str] = UrlOption) -> None:
    """List collections with dimension, metric and count."""
    with open_store(url) as store:
        table = Table()
        for column in ("name", "dimension", "metric", "count"):
            table.add_column(column)
        for item in store.list_collections():
            table.add_row(item.name, str(item.dimension), item.metric, str(store.count(item.name)))
        console.print(table)


@command()
def create(
    name: str = typer.Argument(..., help="Collection name."),
    dimension: int = typer.Option(..., "--dimension", "-d", help="Vector dimension."),
    metric: str = typer.Option("cosine", help="cosine, dot or l2."),
    index: Optional[list[str]] = IndexOption,
    url: Optional[str] = UrlOption,
) -> None:
    """Create a collection, with payload indexes on the metadata keys that filters use."""
    declared = _index_options(index)
    with open_store(url) as store:
        store.create_collection(name, dimension, metric, indexes=declared)  # type: ignore[arg-type]
        console.print(f"created {name!r} ({dimension}-d, {metric}); indexes: {_listed(store.list_indexes(name))}")


@command()
def indexes(
    url: Optional[str] = UrlOption,
    collection: str = CollectionOption,
    index: Optional[list[str]] = IndexOption,
) -> None:
    """List a collection's payload indexes; with --index, declare them first."""
    declared = _index_options(index)
    with open_store(url) as store:
        for key, kind in declared.items():
            store.create_index(collection, key, kind)
        console.print(_listed(store.list_indexes(collection)))
        if not store.capabilities.payload_indexes:
            console.print(f"({store.adapter.name} has no payload indexes: declarations are recorded, filters unchanged)")


def _listed(declared: dict[str, IndexKind]) -> str:
    return ", ".join(f"{key}:{kind}" for key, kind in declared.items()) or "none"


@command()
def ingest(
    file: Path = typer.Argument(..., help="JSON or JSONL (optionally .gz): rows {id, embedding, document, metadata} "
                                     "or columns {ids, embeddings, documents, metadatas}."),
    url: Optional[str] = UrlOption,
    collection: str = CollectionOption,
    metric: Optional[str] = typer.Option(
        None, help="Metric when the collection is created: cosine (default), dot or l2."
    ),
    batch_size: int = typer.Option(1000, help="Records per upsert call."),
    index: Optional[list[str]] = IndexOption,
) -> None:
    """Load records into a collection. The whole file is validated first: a bad record writes nothing."""
    declared = _index_options(index)
    rows = read_rows(file)
    if not rows:
        raise fail(f"{file}: no records found")
    validation.batch_size(batch_size)
    with open_store(url) as store:
        name = validation.collection_name(collection)
        try:
            dimension, create = store.get_collection(name).dimension, False
        except CollectionNotFound:
            dimension, create = first_dimension(rows), True
            validation.metric(metric or "cosine")
        batch = to_batch(rows, name, dimension)
        if create or metric is not None:  # an explicit --metric must agree with an existing collection
            store.create_collection(name, dimension, metric or "cosine", exist_ok=True, indexes=declared)  # type: ignore[arg-type]
        for key, kind in declared.items() if not create else ():
            store.create_index(name, key, kind)
        with Progress(
            TextColumn("ingest"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.speed} rec/s"),
            TimeRemainingColumn(), console=console, transient=True,
        ) as progress:
            task = progress.add_task("ingest", total=len(batch))
            for chunk in batch.chunks(batch_size):
                store.upsert(name, chunk)
                progress.advance(task, len(chunk))
        console.print(f"ingested {len(batch)} records into {name!r}; it now holds {store.count(name)}")


@command()
def count(
    url: Optional[str] = UrlOption,
    collection: str = CollectionOption,
    where: Optional[str] = typer.Option(None, help='Filter as JSON, e.g. \'{"year": {"$gte": 2020}}\'.'),
) -> None:
    """Count records, optionally matching a filter."""
    with open_store(url) as store:
        console.print(store.count(collection, where=_json_option(where, "--where")))


def print_matches(title: str, matches: list[Match]) -> None:
    table = Table(title=escape(title), title_justify="left")
    for column in ("#", "score", "id", "document"):
        table.add_column(column, overflow="fold")
    for rank, match in enumerate(matches, 1):
        document = (match.document or "").replace("\n", " ")
        shown = document[:100] + ("..." if len(document) > 100 else "")
        table.add_row(str(rank), f"{match.score:.4f}", escape(match.id), escape(shown))
    console.print(table)


@command()
def query(
    url: Optional[str] = UrlOption,
    collection: str = CollectionOption,
    vector: Optional[str] = typer.Option(None, help="Query vector as a JSON list."),
    like: Optional[str] = typer.Option(None, help="Use the stored vector of this record id."),
    queries: Optional[Path] = typer.Option(None, help="JSONL of {text, embedding} rows: run each query."),
    k: int = typer.Option(5, "-k", "--k", help="Results per query."),
    where: Optional[str] = typer.Option(None, help="Metadata filter as JSON."),
    contains: Optional[str] = typer.Option(None, help="Only documents containing this text (case-sensitive)."),
) -> None:
    """Nearest neighbours of a vector, of a stored record, or of each query in a file."""
    if sum(option is not None for option in (vector, like, queries)) != 1:
        raise fail("give exactly one of --vector, --like or --queries", code=2)
    filters: dict[str, Any] = {"where": _json_option(where, "--where")}
    if contains:
        filters["document"] = {"$contains": contains}
    with open_store(url) as store:
        if queries is not None:
            for text, embedding in read_queries(queries):
                print_matches(text, store.search(collection, embedding, k, **filters))
            return
        if like is not None:
            found = store.get(collection, [like], include=["vector"])
            if not found:
                raise InvalidInput(f"collection {collection!r} has no record {like!r}")
            query_vector = found[0].vector
        else:
            query_vector = _json_option(vector, "--vector")
        print_matches(f"top {k}", store.search(collection, query_vector, k, **filters))


@command()
def demo(url: Optional[str] = UrlOption, collection: str = CollectionOption) -> None:
    """A quick look: ingest the sample data set into the configured store and run its sample text queries."""
    sample = read_records(SAMPLE_RECORDS, validation.collection_name(collection))
    with open_store(url) as store:
        console.print(f"store: {store!r}")
        store.create_collection(collection, sample.dimension, "cosine", exist_ok=True)
        with console.status(f"ingesting {len(sample)} chunks of Python docstrings"):
            for chunk in sample.chunks(1000):
                store.upsert(collection, chunk)
        console.print(f"{collection!r} holds {store.count(collection)} records\n")
        for text, embedding in read_queries(SAMPLE_QUERIES)[:4]:
            print_matches(f"query: {text}", store.search(collection, embedding, 3))
        text, embedding = read_queries(SAMPLE_QUERIES)[0]
        where = {"has_example": True}
        matches = store.search(collection, embedding, 3, where=where)
        print_matches(f"query: {text}  where {typedjson.dumps(where)}", matches)
