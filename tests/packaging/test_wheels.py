"""The built wheels, installed in a fresh venv, do the README's main job from an empty folder.

Every command runs in a child process of the venv's own interpreter or console script, in an empty temporary
directory, with no ``PYTHONPATH``: nothing can come from this checkout (the first test proves where it comes from).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from vectorstore.io import read_queries, read_records
from vectorstore.sample import QUERIES, RECORDS

from .conftest import DISTRIBUTIONS, ROOT, Venv, run

IMPORT_CHECK = """
import json, sys
from importlib import metadata
import vectorstore, vectorstore_chroma, vectorstore_conformance, vectorstore_qdrant
from vectorstore.sample import QUERIES, RECORDS
try:
    metadata.distribution("vectorstore")
    squatter = True
except metadata.PackageNotFoundError:
    squatter = False
print(json.dumps({
    "modules": [m.__file__ for m in (vectorstore, vectorstore_chroma, vectorstore_conformance, vectorstore_qdrant)],
    "sample": [str(RECORDS), RECORDS.is_file(), QUERIES.is_file()],
    "path": sys.path,
    "versions": {name: metadata.version(name) for name in %r},
    "squatter": squatter,
}))
"""


def exact_top_ids(count: int) -> list[str]:
    """The exact nearest record of each of the first ``count`` sample queries (cosine; the vectors are unit norm)."""
    sample = read_records(RECORDS, "sample")
    vectors = sample.vectors.astype(np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = np.asarray([embedding for _, embedding in read_queries(QUERIES)[:count]], dtype=np.float64)
    return [sample.ids[int(i)] for i in np.argmax(queries @ vectors.T, axis=1)]


def test_everything_imports_from_the_venv(venv: Venv, tmp_path: Path) -> None:
    found = json.loads(run([venv.executable("python"), "-c", IMPORT_CHECK % (list(DISTRIBUTIONS),)], tmp_path).stdout)
    site = venv.root.resolve()
    for module in found["modules"]:
        assert Path(module).resolve().is_relative_to(site), module
    records, has_records, has_queries = found["sample"]
    assert Path(records).resolve().is_relative_to(site), records
    assert has_records and has_queries, f"the sample data is not in the installed wheel: {found['sample']}"
    assert not any(entry and Path(entry).resolve().is_relative_to(ROOT) for entry in found["path"]), found["path"]
    assert found["versions"] == {name: "0.1.0" for name in DISTRIBUTIONS}
    assert not found["squatter"], "the distribution named 'vectorstore' (not ours) was installed"


def test_demo_migration_from_an_empty_folder(venv: Venv, tmp_path: Path) -> None:
    out = run([venv.executable("vectorstore"), "demo-migration"], tmp_path).stdout
    assert "ingested 2,926 records from stdlib_docs.jsonl.gz into chroma://" in out
    assert re.search(r"stdlib_docs: verified: 2,926 source / 2,926 target records, 0 missing, 0 extra", out), out
    assert len(re.findall(r"stdlib_docs: trial .*overlap@10 mean", out)) == 2, out
    for (text, _), top in zip(read_queries(QUERIES)[:3], exact_top_ids(3)):
        answer = out.split(f"on Qdrant now: {text}", 1)[1].split("on Qdrant now:", 1)[0]
        assert top in answer, f"{text!r}: the nearest record {top!r} is not among the answers\n{answer}"
    report = re.search(r"^report: (\S+\.html) ", out, re.MULTILINE)
    assert report, out
    html = tmp_path / report.group(1)
    assert html.is_file() and html.resolve().is_relative_to(tmp_path.resolve())
    assert json.loads(html.with_name("report.json").read_text(encoding="utf-8"))["ok"] is True


def test_quick_demo_and_info_from_an_empty_folder(venv: Venv, tmp_path: Path) -> None:
    out = run([venv.executable("vectorstore"), "demo", "--url", "memory://"], tmp_path).stdout
    assert "'rag_documents' holds 2926 records" in out
    assert out.count("query:") >= 5
    info = run([venv.executable("vectorstore"), "info", "--url", "memory://"], tmp_path).stdout
    for adapter in ("memory", "chroma", "qdrant"):
        assert re.search(rf"^\W*{adapter}\W+0\.1\.0\W", info, re.MULTILINE), info
