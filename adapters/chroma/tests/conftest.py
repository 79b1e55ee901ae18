"""Shared fixtures: a real ``chroma run`` server for the session, and store URLs for each way to reach Chroma."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMA = Path(sys.executable).with_name("chroma")
STARTUP_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if the test process dies, even by SIGKILL (no orphan servers)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a ``chroma run`` server on a free loopback port, stopped at the end of the session."""
    root = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log_path = root / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(root / "data"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if os.name == "posix" else None,  # noqa: PLW1509
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _ready(url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                pytest.fail(f"chroma run did not become ready (exit code {process.poll()}):\n{tail}")
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def unused_port() -> int:
    return free_port()


@pytest.fixture
def persistent_url(tmp_path: Path) -> str:
    return f"chroma://{tmp_path}/c?isolation=none"


@pytest.fixture
def memory_url() -> str:
    return "chroma+memory://?isolation=none"


@pytest.fixture
def http_url(chroma_server: str) -> str:
    return f"chroma+http://{chroma_server}?isolation=none"


@pytest.fixture(params=["persistent", "memory", "http"])
def any_url(request: pytest.FixtureRequest) -> str:
    """Each way of reaching Chroma, directly (isolation is tested by the conformance suite and its own tests)."""
    return str(request.getfixturevalue(f"{request.param}_url"))
