"""The sample data set (README.md beside this file), shipped inside the package so the demos work from a wheel.

The files are package data: setuptools puts them in the wheel (``[tool.setuptools.package-data]`` in pyproject.toml)
and ``importlib.resources`` finds them wherever the package is installed, not relative to a source checkout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _directory() -> Path:
    """This package's directory on disk; the readers (gzip, JSON Lines) need real files, not a zip member."""
    directory = resources.files(__name__)
    if not isinstance(directory, Path):
        raise ImportError(
            f"{__name__} is not on disk ({directory!r}): install vectorstore-core with pip, which unpacks the wheel"
        )
    return directory


DIRECTORY = _directory()
#: 2,926 standard-library docstring chunks with all-MiniLM-L6-v2 embeddings (gzip JSON Lines).
RECORDS = DIRECTORY / "stdlib_docs.jsonl.gz"
#: 12 text queries embedded with the same model (JSON Lines).
QUERIES = DIRECTORY / "queries.jsonl"
