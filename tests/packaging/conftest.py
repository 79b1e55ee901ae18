"""Wheels of the four distributions, built once per session, installed into one fresh venv.

Why: users get wheels, not this checkout. A file read relative to the source tree, a data file left out of the
package, or a dependency on a name we do not own (``vectorstore`` on PyPI is someone else's) only shows up once the
wheels are installed somewhere else. The sources are copied to a temporary directory first, so building leaves no
``build/`` or ``*.egg-info`` in the shared working tree. Our wheels are installed by file name (never looked up on an
index, so nobody else's upload can stand in for them); third-party dependencies come from the configured registry
and pip's cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: distribution name -> its directory in the repository
DISTRIBUTIONS = {
    "vectorstore-core": ".",
    "vectorstore-conformance": "conformance",
    "vectorstore-chroma": "adapters/chroma",
    "vectorstore-qdrant": "adapters/qdrant",
}
#: What the core distribution is built from (the others: their whole directory).
CORE_SOURCES = ("pyproject.toml", "README.md", "vectorstore")
#: Variables a child must not inherit: they would point it at this checkout or at the test run's own venv.
HIDDEN = frozenset({"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"})
BUILD_LITTER = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist", ".pytest_cache")
#: Generous ceilings so a hung pip or demo fails the test instead of blocking CI; never a timing assertion.
INSTALL_TIMEOUT = 1800
COMMAND_TIMEOUT = 600


@dataclass(frozen=True)
class Venv:
    """A fresh virtual environment holding only the installed wheels and their dependencies."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / ("Scripts" if os.name == "nt" else "bin")

    def executable(self, name: str) -> Path:
        return self.bin / (f"{name}.exe" if os.name == "nt" else name)


def clean_env() -> dict[str, str]:
    """The environment of every child: nothing that would put this checkout (or our settings) on the child's path."""
    env = {key: value for key, value in os.environ.items() if key not in HIDDEN and not key.startswith("VECTORSTORE_")}
    env["COLUMNS"] = "200"  # rich wraps at 80 columns without a terminal; wide tables keep ids on one line
    return env


def run(args: list[str | Path], cwd: Path, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run a child to completion; a failure shows its output."""
    result = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{args} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def copy_sources(destination: Path) -> Path:
    """The four distributions' sources, without build litter, at the same relative places under ``destination``."""
    for relative in CORE_SOURCES:
        source = ROOT / relative
        if source.is_dir():
            shutil.copytree(source, destination / relative, ignore=BUILD_LITTER)
        else:
            shutil.copy2(source, destination / relative)
    for relative in DISTRIBUTIONS.values():
        if relative != ".":
            shutil.copytree(ROOT / relative, destination / relative, ignore=BUILD_LITTER)
    return destination


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """One wheel per distribution, built by pip from a copy of the sources (build isolation, as a user's pip does)."""
    sources = copy_sources(tmp_path_factory.mktemp("sources"))
    dist = tmp_path_factory.mktemp("wheels")
    projects = [f"./{relative}" for relative in DISTRIBUTIONS.values()]  # "./": a path, never an index name
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", dist, *projects],
        cwd=sources, timeout=INSTALL_TIMEOUT)
    built = sorted(dist.glob("*.whl"))
    expected = sorted(name.replace("-", "_") for name in DISTRIBUTIONS)
    assert sorted(path.name.split("-")[0] for path in built) == expected, built
    return built


@pytest.fixture(scope="session")
def venv(wheels: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A plain venv (no system site-packages) with the four wheels installed by file.

    Cheap on purpose: the venv gets no pip of its own (ensurepip costs about 8 s) and this pip installs into it with
    ``--python``; ``--no-compile`` leaves bytecode to the first import (byte-compiling all of chromadb's dependencies
    doubles the install time).
    """
    env = Venv(tmp_path_factory.mktemp("venv") / "env")
    empty = tmp_path_factory.mktemp("empty")
    run([sys.executable, "-m", "venv", "--without-pip", env.root], cwd=empty)
    run([sys.executable, "-m", "pip", "--python", env.executable("python"), "install", "--quiet", "--no-compile",
         "--find-links", wheels[0].parent, *wheels], cwd=empty, timeout=INSTALL_TIMEOUT)
    return env
