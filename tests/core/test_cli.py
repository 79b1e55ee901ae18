"""The ``vectorstore`` command line, end to end.

Each command runs at least once in its own subprocess through the installed console script (on ``memory://``) or
through ``cli_driver.py`` when a store has to outlive one process (ingest, then count and query; proof that a failed
ingest wrote nothing): the same CLI with one extra test adapter, ``pickled:///FILE``, the memory adapter saved to a
file on close. The many variants of one failure run in-process through typer's runner on the same pickled adapter,
because a CLI process costs about two seconds to start and the whole core suite has a one-minute budget.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from vectorstore.cli import app
from vectorstore.registry import Registry

from .cli_driver import Plugin as PickledPlugin

DRIVER = Path(__file__).with_name("cli_driver.py")
SCRIPT = Path(sys.executable).with_name("vectorstore")

IDS = ["a", "b", "c", "d", "e"]
VECTORS = [[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0]]
DOCUMENTS = ["alpha uses list[int]", "beta [/closing] tag", "gamma", None, "epsilon"]
METADATAS: list[dict[str, Any] | None] = [
    {"year": 2020, "tags": ["x"]},
    {"year": 2021},
    {"year": 2022, "draft": True},
    None,
    {"year": 2019},
]


def rows() -> list[dict[str, Any]]:
    return [
        {"id": i, "embedding": v, "document": d, "metadata": m}
        for i, v, d, m in zip(IDS, VECTORS, DOCUMENTS, METADATAS)
    ]


def write_jsonl(path: Path, items: list[Any]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def error_line(self) -> str:
        """The single line a failing command must print, checked to be the only one."""
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert len(lines) == 1, self.err
        assert lines[0].startswith("error: "), lines[0]
        return lines[0]


def run(args: list[str], cwd: Path, *, driver: bool = False, env: dict[str, str] | None = None) -> Result:
    """The CLI in a subprocess: the console script, or the driver with the pickled adapter."""
    if driver:
        command = [sys.executable, str(DRIVER)]
    elif SCRIPT.exists():
        command = [str(SCRIPT)]
    else:  # installed without the console script: the same entry point
        command = [sys.executable, "-c", "from vectorstore.cli import main; main()"]
    environment = {
        key: value for key, value in os.environ.items() if key not in ("VECTORSTORE_URL", "VECTORSTORE_CONFIG")
    }
    environment.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", **(env or {})})
    completed = subprocess.run(
        command + args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def invoke(args: Sequence[str]) -> Result:
    """The CLI in this process (needs the ``pickled_in_process`` fixture for pickled:// URLs)."""
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback is a failure of the one-line rule
    return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def pickled_in_process(fresh_registry: Registry, clean_env: Path) -> Path:
    fresh_registry.register(PickledPlugin(), name="pickled")
    return clean_env


# -- info, collections ----------------------------------------------------------------------------------------------


def test_info_lists_memory_with_capabilities(cwd: Path) -> None:
    result = run(["info", "--url", "memory://"], cwd)
    assert result.code == 0, result.err
    memory_row = next(line for line in result.out.splitlines() if " memory " in line)
    assert "memory://" in memory_row and "metrics=cosine,dot,l2" in memory_row
    assert "exact_search" in result.out and "document_contains" in result.out
    assert "store: memory:// (from argument" in result.out


def test_info_takes_the_url_from_the_environment(
    fresh_registry: Registry, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VECTORSTORE_URL", "memory://")
    result = invoke(["info"])
    assert result.code == 0 and "from VECTORSTORE_URL" in result.out


def test_info_never_echoes_a_secret(clean_env: Path) -> None:
    result = invoke(["info", "--url", "memory://?api_key=Sup3rSecret"])
    assert result.code == 1
    assert "ConfigurationError" in result.error_line()
    assert "Sup3rSecret" not in result.out + result.err


def test_collections_on_an_empty_store(clean_env: Path) -> None:
    result = invoke(["collections", "--url", "memory://"])
    assert result.code == 0, result.err
    assert "name" in result.out and "dimension" in result.out


# -- ingest on memory: its own report -------------------------------------------------------------------------------


def test_ingest_jsonl_rows(cwd: Path) -> None:
    result = run(["ingest", str(write_jsonl(cwd / "rows.jsonl", rows())), "--url", "memory://"], cwd)
    assert result.code == 0, result.err
    assert "ingested 5 records into 'rag_documents'; it now holds 5" in result.out


def test_ingest_json_rows_gz_in_batches(clean_env: Path) -> None:
    path = clean_env / "rows.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        json.dump(rows(), stream)
    result = invoke(["ingest", str(path), "--url", "memory://", "--batch-size", "2", "-c", "docs"])
    assert result.code == 0, result.err
    assert "ingested 5 records into 'docs'; it now holds 5" in result.out


def test_ingest_json_columns(clean_env: Path) -> None:
    columns = {"ids": IDS, "embeddings": VECTORS, "documents": DOCUMENTS, "metadatas": METADATAS}
    path = clean_env / "columns.json"
    path.write_text(json.dumps(columns), encoding="utf-8")
    result = invoke(["ingest", str(path), "--url", "memory://", "--collection", "cols", "--metric", "l2"])
    assert result.code == 0, result.err
    assert "ingested 5 records into 'cols'; it now holds 5" in result.out


# -- across processes: ingest, then count, query, collections -------------------------------------------------------


def state(store_file: Path) -> dict[str, Any]:
    """What the pickled store holds, in plain values."""
    if not store_file.exists():
        return {}
    collections = pickle.loads(store_file.read_bytes())
    return {
        name: (c.info.model_dump(), {i: (v.tolist(), d, m) for i, (v, d, m) in c.rows.items()})
        for name, c in collections.items()
    }


@pytest.fixture(scope="module")
def ingested_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five rows ingested into 'rag_documents' (cosine) of a pickled store, by the CLI in a subprocess."""
    directory = tmp_path_factory.mktemp("ingested")
    url = f"pickled://{directory / 'store.pkl'}"
    result = run(["ingest", str(write_jsonl(directory / "rows.jsonl", rows())), "--url", url], directory, driver=True)
    assert result.code == 0, result.err
    assert "ingested 5 records into 'rag_documents'; it now holds 5" in result.out
    return directory / "store.pkl"


@pytest.fixture
def ingested(ingested_once: Path, cwd: Path) -> str:
    """A private copy of the ingested store; returns its URL."""
    shutil.copy(ingested_once, cwd / "store.pkl")
    return f"pickled://{cwd / 'store.pkl'}"


def test_count_in_a_new_process(cwd: Path, ingested: str) -> None:
    result = run(["count", "--url", ingested], cwd, driver=True)
    assert (result.code, result.out.strip()) == (0, "5")


def test_count_where(pickled_in_process: Path, ingested: str) -> None:
    result = invoke(["count", "--url", ingested, "--where", '{"year": {"$gte": 2021}}'])
    assert (result.code, result.out.strip()) == (0, "2")


def cosine_order(query: list[float]) -> tuple[list[str], list[float]]:
    vectors = np.array(VECTORS)
    scores = vectors @ np.array(query) / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query))
    order = np.argsort(-scores, kind="stable")
    return [IDS[i] for i in order], [float(scores[i]) for i in order]


def table_ids(output: str) -> list[str]:
    """Ids in the order the result table lists them (the third column)."""
    found = []
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")]
        if len(cells) > 4 and cells[1].isdigit():
            found.append(cells[3])
    return found


def test_query_vector_in_a_new_process(cwd: Path, ingested: str) -> None:
    result = run(["query", "--url", ingested, "--vector", "[1, 0.05, 0]", "-k", "3"], cwd, driver=True)
    assert result.code == 0, result.err
    ids, scores = cosine_order([1, 0.05, 0])
    assert table_ids(result.out) == ids[:3]
    for score in scores[:3]:
        assert f"{score:.4f}" in result.out
    # documents are text, not console markup (docstrings are full of list[int])
    assert "alpha uses list[int]" in result.out and "beta [/closing] tag" in result.out


def test_query_like_where_contains(pickled_in_process: Path, ingested: str) -> None:
    filtered = invoke(["query", "--url", ingested, "--like", "a", "--where", '{"year": {"$lt": 2021}}'])
    assert filtered.code == 0, filtered.err
    assert table_ids(filtered.out) == ["a", "e"]
    like = invoke(["query", "--url", ingested, "--like", "c", "-k", "2"])
    assert like.code == 0, like.err
    assert table_ids(like.out) == cosine_order(VECTORS[2])[0][:2]
    contains = invoke(["query", "--url", ingested, "--vector", "[1, 0, 0]", "--contains", "eta"])
    assert table_ids(contains.out) == ["b"]


def test_query_file_of_queries(pickled_in_process: Path, ingested: str) -> None:
    queries = write_jsonl(pickled_in_process / "q.jsonl", [{"text": "first [b]query[/b]", "embedding": [0, 1, 0]}])
    result = invoke(["query", "--url", ingested, "--queries", str(queries), "-k", "1"])
    assert result.code == 0, result.err
    assert "first [b]query[/b]" in result.out and table_ids(result.out) == ["c"]


def test_collections_in_a_new_process(cwd: Path, ingested: str) -> None:
    result = run(["collections", "--url", ingested], cwd, driver=True)
    assert result.code == 0, result.err
    line = next(line for line in result.out.splitlines() if "rag_documents" in line)
    assert [cell.strip() for cell in line.split("│")][1:5] == ["rag_documents", "3", "cosine", "5"]


def test_ingest_again_into_an_existing_l2_collection(pickled_in_process: Path) -> None:
    """--metric only applies when the collection is created; later ingests need not repeat it."""
    url = f"pickled://{pickled_in_process / 'store.pkl'}"
    path = write_jsonl(pickled_in_process / "rows.jsonl", rows())
    assert invoke(["ingest", str(path), "--url", url, "--metric", "l2"]).code == 0
    more = write_jsonl(pickled_in_process / "more.jsonl", [{"id": "f", "embedding": [2, 2, 2]}])
    result = invoke(["ingest", str(more), "--url", url])
    assert result.code == 0, result.err
    info, records = state(pickled_in_process / "store.pkl")["rag_documents"]
    assert info["metric"] == "l2" and len(records) == 6


# -- failures: one clear line, exit 1, nothing written --------------------------------------------------------------


def bad_file(directory: Path, last: Any) -> Path:
    """30 good new records, one update of an existing record, and ``last``: a write of any of it would show."""
    good = [{"id": f"new-{i}", "embedding": [i, 1, 1], "metadata": {"i": i}} for i in range(30)]
    update = [{"id": "a", "embedding": [0, 0, 5], "document": "replaced"}]
    return write_jsonl(directory / "bad.jsonl", update + good + [last])


SUBPROCESS_LAST_ROWS: list[tuple[str, Any, str]] = [
    ("wrong-dimension", {"id": "z", "embedding": [1, 2]}, "DimensionMismatch"),
    ("bad-metadata", {"id": "z", "embedding": [1, 2, 3], "metadata": {"nested": {"x": 1}}}, "'nested'"),
]


@pytest.mark.parametrize(
    ("last", "fragment"), [c[1:] for c in SUBPROCESS_LAST_ROWS], ids=[c[0] for c in SUBPROCESS_LAST_ROWS]
)
def test_bad_last_row_in_a_subprocess(cwd: Path, ingested: str, last: Any, fragment: str) -> None:
    before = state(cwd / "store.pkl")
    result = run(["ingest", str(bad_file(cwd, last)), "--url", ingested], cwd, driver=True)
    assert result.code == 1
    line = result.error_line()
    assert fragment in line and "'z'" in line
    assert "ingested" not in result.out
    assert state(cwd / "store.pkl") == before


def test_malformed_json_last_line_in_a_subprocess(cwd: Path, ingested: str) -> None:
    before = state(cwd / "store.pkl")
    path = cwd / "bad.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows()[:3]) + '{"id": "z", "embedding": [1, 2\n')
    result = run(["ingest", str(path), "--url", ingested], cwd, driver=True)
    assert result.code == 1
    assert f"{path}:4" in result.error_line() and "not valid JSON" in result.error_line()
    assert state(cwd / "store.pkl") == before


LAST_ROW_PROBLEMS: list[tuple[str, Any, str]] = [
    ("nested-metadata", {"id": "z", "embedding": [1, 2, 3], "metadata": {"k": {"a": 1}}}, "'k'"),
    ("markup-in-key", {"id": "z", "embedding": [1, 2, 3], "metadata": {"[/oops]": {"a": 1}}}, "'[/oops]'"),
    ("markup-in-id", {"id": "[bold]z", "embedding": [1, 2]}, "'[bold]z'"),
    ("nan", {"id": "z", "embedding": [1, float("nan"), 3]}, "'z'"),
    ("int-id", {"id": 7, "embedding": [1, 2, 3]}, "7"),
    ("duplicate-id", {"id": "new-0", "embedding": [1, 2, 3]}, "'new-0'"),
    ("unknown-field", {"id": "z", "embedding": [1, 2, 3], "colour": "red"}, "colour"),
    ("no-embedding", {"id": "z"}, "embedding"),
    ("not-an-object", [1, 2, 3], "expected an object"),
    ("embedding-is-a-number", {"id": "z", "embedding": 5}, "'z'"),
]


@pytest.mark.parametrize(
    ("last", "fragment"), [c[1:] for c in LAST_ROW_PROBLEMS], ids=[c[0] for c in LAST_ROW_PROBLEMS]
)
def test_bad_last_row_writes_nothing(pickled_in_process: Path, ingested: str, last: Any, fragment: str) -> None:
    store_file = pickled_in_process / "store.pkl"
    before = state(store_file)
    result = invoke(["ingest", str(bad_file(pickled_in_process, last)), "--url", ingested])
    assert result.code == 1
    assert fragment in result.error_line()
    assert "ingested" not in result.out
    assert state(store_file) == before


def test_wrong_dimension_for_the_existing_collection(pickled_in_process: Path, ingested: str) -> None:
    before = state(pickled_in_process / "store.pkl")
    path = write_jsonl(pickled_in_process / "four.jsonl", [{"id": "z", "embedding": [1, 2, 3, 4]}])
    result = invoke(["ingest", str(path), "--url", ingested])
    assert result.code == 1 and "dimension" in result.error_line()
    assert state(pickled_in_process / "store.pkl") == before


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ([{"id": "z", "embedding": 5}, {"id": "y", "embedding": [1, 2, 3]}], "'z'"),
        ([{"id": "z", "embedding": "abc"}], "'z'"),
        ([{"id": "z", "embedding": []}], "'z'"),
        ([], "no records"),
    ],
    ids=["number-as-embedding", "str-as-embedding", "empty-embedding", "empty-file"],
)
def test_bad_first_row_of_a_new_collection(pickled_in_process: Path, content: list[Any], fragment: str) -> None:
    url = f"pickled://{pickled_in_process / 'store.pkl'}"
    result = invoke(["ingest", str(write_jsonl(pickled_in_process / "bad.jsonl", content)), "--url", url])
    assert result.code == 1
    assert fragment in result.error_line()
    assert state(pickled_in_process / "store.pkl") == {}


@pytest.mark.parametrize(
    "content",
    [
        {"ids": ["a", "b"], "embeddings": [[1, 2, 3]]},
        {"ids": "ab", "embeddings": [[1, 2, 3], [1, 2, 3]]},
        {"ids": 5, "embeddings": 5},
        {"ids": ["a"]},
        {"ids": ["a"], "embeddings": [[1, 2, 3]], "extra": 1},
        {"ids": ["a"], "embeddings": [[1, 2, 3]], "metadatas": {"k": 1}},
        "just a string",
    ],
    ids=["lengths", "str-ids", "int-ids", "no-embeddings", "extra-key", "metadatas-dict", "str"],
)
def test_bad_json_file(pickled_in_process: Path, content: Any) -> None:
    path = pickled_in_process / "columns.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    result = invoke(["ingest", str(path), "--url", f"pickled://{pickled_in_process / 'store.pkl'}"])
    assert result.code == 1
    result.error_line()
    assert state(pickled_in_process / "store.pkl") == {}


def test_missing_file_and_missing_collection(clean_env: Path) -> None:
    missing = invoke(["ingest", str(clean_env / "nope.jsonl"), "--url", "memory://"])
    assert missing.code == 1 and "nope.jsonl" in missing.error_line()
    count = invoke(["count", "--url", "memory://", "-c", "absent"])
    assert count.code == 1 and "CollectionNotFound" in count.error_line() and "'absent'" in count.error_line()
    query = invoke(["query", "--url", "memory://", "--vector", "[1, 2]"])
    assert query.code == 1 and "CollectionNotFound" in query.error_line()


def test_unknown_like_id(pickled_in_process: Path, ingested: str) -> None:
    result = invoke(["query", "--url", ingested, "--like", "nobody"])
    assert result.code == 1 and "'nobody'" in result.error_line()


def test_bad_filter_is_a_failure_with_its_path(pickled_in_process: Path, ingested: str) -> None:
    result = invoke(["count", "--url", ingested, "--where", '{"year": {"$gt": "2020"}}'])
    assert result.code == 1
    assert "where.year.$gt: expected a number, got str '2020'" in result.error_line()


# -- usage errors: exit 2 -------------------------------------------------------------------------------------------


def test_usage_error_exits_2_in_a_subprocess(cwd: Path) -> None:
    result = run(["count", "--bogus"], cwd)
    assert result.code == 2 and "--bogus" in result.err and "Traceback" not in result.err


def test_our_usage_errors_are_one_line(clean_env: Path) -> None:
    result = invoke(["query", "--url", "memory://"])
    assert result.code == 2 and "exactly one of" in result.error_line()


@pytest.mark.parametrize(
    "args",
    [
        ["count", "--bogus"],
        ["query", "--url", "memory://", "--vector", "[1, 0]", "--like", "a"],
        ["query", "--url", "memory://", "--vector", "[1, 0"],
        ["count", "--url", "memory://", "--where", "not json"],
        ["ingest"],
        ["frobnicate"],
        ["query", "-k", "many"],
    ],
    ids=["unknown-option", "two-sources", "bad-vector-json", "bad-where-json", "no-file", "no-command", "k"],
)
def test_usage_errors_exit_2(clean_env: Path, args: list[str]) -> None:
    assert invoke(args).code == 2


# -- demo -----------------------------------------------------------------------------------------------------------


def test_demo_prints_query_results(cwd: Path) -> None:
    result = run(["demo", "--url", "memory://"], cwd)
    assert result.code == 0, result.err
    assert result.out.count("query:") >= 5
    assert "records" in result.out
