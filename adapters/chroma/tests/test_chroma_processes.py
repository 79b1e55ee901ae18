"""One owner per directory (StoreLocked), acknowledged writes surviving SIGKILL, and no network for embeddings.

Other processes are started with ``subprocess`` running small scripts (a fresh interpreter, as ``spawn`` gives),
never forked from a process that has opened Chroma.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import vectorstore
from vectorstore.errors import StoreClosed, StoreLocked

READY_TIMEOUT_S = 120


def _python(code: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


@pytest.fixture
def reaper() -> Iterator[list[subprocess.Popen[str]]]:
    """Children started by a test; killed at the end whatever happened (no orphans)."""
    children: list[subprocess.Popen[str]] = []
    yield children
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait()


def _read_line(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line:
        child.wait(timeout=READY_TIMEOUT_S)
        raise AssertionError(f"child exited with {child.returncode}: {child.stderr.read() if child.stderr else ''}")
    return line.strip()


@pytest.mark.parametrize("isolation", ["none", "process"])
def test_second_handle_in_the_same_process_shares_the_store(tmp_path: Path, isolation: str) -> None:
    """Two parts of one application opening one path share it (for an isolated store: one worker)."""
    url = f"chroma://{tmp_path}/c?isolation={isolation}"
    first = vectorstore.open(url)
    first.create_collection("kept", 2)
    second = vectorstore.open(f"chroma://{tmp_path}/./c?isolation={isolation}")  # the same directory, spelled otherwise
    assert second.adapter is first.adapter
    second.upsert("kept", ["a"], [[1.0, 0.0]])
    assert [record.id for record in first.get("kept", ["a"])] == ["a"]
    first.close()
    assert second.count("kept") == 1  # closing one handle leaves the other working
    with pytest.raises(StoreClosed):
        first.count("kept")
    second.close()
    with vectorstore.open(url) as again:  # the last close released the path: a new owner starts
        assert again.adapter is not first.adapter
        assert again.count("kept") == 1


def test_same_path_with_other_options_is_refused_naming_them(tmp_path: Path) -> None:
    url = f"chroma://{tmp_path}/c?isolation=none"
    with vectorstore.open(url) as first:
        first.create_collection("kept", 2)
        with pytest.raises(StoreLocked, match=r"ef_search: open None, asked 90"):
            vectorstore.open(f"{url}&ef_search=90")
        assert first.list_collections()[0].name == "kept"  # the refused opener changed nothing


def test_other_process_is_refused_until_the_owner_dies(tmp_path: Path, reaper: list[subprocess.Popen[str]]) -> None:
    url = f"chroma://{tmp_path}/c?isolation=none"
    owner = _python(
        f"""
        import sys, vectorstore
        store = vectorstore.open({url!r})
        store.create_collection("owned", 2)
        print("ready", flush=True)
        sys.stdin.read()
        """
    )
    reaper.append(owner)
    assert _read_line(owner) == "ready"
    with pytest.raises(StoreLocked, match=str(owner.pid)):
        vectorstore.open(url)
    owner.send_signal(signal.SIGKILL)  # no close(): the kernel drops the lock with the process
    owner.wait()
    with vectorstore.open(url) as store:
        assert [info.name for info in store.list_collections()] == ["owned"]


def test_acknowledged_writes_survive_sigkill(tmp_path: Path, reaper: list[subprocess.Popen[str]]) -> None:
    """A writer killed mid-stream: every batch it reported as written (new and replaced records) is there after."""
    url = f"chroma://{tmp_path}/c?isolation=none"
    writer = _python(
        f"""
        import json, numpy as np, vectorstore
        store = vectorstore.open({url!r})
        store.create_collection("log", 8, "l2")
        rng = np.random.default_rng(1)
        previous = None
        for step in range(1000):
            ids = [f"s{{step}}-{{i}}" for i in range(50)]
            vectors = rng.standard_normal((50, 8)).astype(np.float32)
            store.upsert("log", ids, vectors, [f"doc {{i}}" for i in ids], [{{"step": step, "tags": ["t"]}} for _ in ids])
            if step:  # replace the previous batch's first record: no document, other metadata
                store.upsert("log", [f"s{{step - 1}}-0"], previous[:1], None, [{{"replaced": True}}])
            previous = vectors
            print(json.dumps({{"step": step, "vectors": vectors.tolist()}}), flush=True)
        """
    )
    reaper.append(writer)
    acknowledged = [json.loads(_read_line(writer)) for _ in range(8)]
    writer.send_signal(signal.SIGKILL)
    writer.wait()

    with vectorstore.open(url) as store:
        problems = []
        for ack in acknowledged:
            step, vectors = ack["step"], np.asarray(ack["vectors"], dtype=np.float32)
            ids = [f"s{step}-{i}" for i in range(50)]
            replaced = step < acknowledged[-1]["step"]  # its first record was replaced in the next step
            records = store.get("log", ids, include=("vector", "document", "metadata"))
            if [r.id for r in records] != ids:
                problems.append(f"step {step}: {50 - len(records)} records missing")
                continue
            for i, record in enumerate(records):
                want = ((None, {"replaced": True}) if replaced and i == 0 else (f"doc {record.id}", {"step": step, "tags": ["t"]}))
                if (record.document, record.metadata) != want:
                    problems.append(f"{record.id}: {(record.document, record.metadata)} != {want}")
                if not np.allclose(record.vector, vectors[i]):
                    problems.append(f"{record.id}: vector differs")
            hits = store.query("log", vectors[1:], k=1, include=())  # the vector index has them too
            problems += [f"{ids[i + 1]}: nearest is {h[0].id}" for i, h in enumerate(hits) if h[0].id != ids[i + 1]]
        assert not problems, problems[:20]


def test_no_network_and_no_model_download(tmp_path: Path) -> None:
    """Documents without embeddings never reach Chroma's default embedding function (it downloads a model)."""
    home = tmp_path / "home"
    home.mkdir()
    child = _python(
        f"""
        import sys
        events = []
        sys.addaudithook(lambda event, args: events.append(f"{{event}} {{args!r}}") if event.startswith("socket.") else None)
        import numpy as np, vectorstore
        with vectorstore.open("chroma://{tmp_path}/c?isolation=none") as store:
            store.create_collection("docs", 3)
            store.upsert("docs", ["a", "b"], np.eye(2, 3), ["some text to embed", "more text"], [{{"k": 1}}, None])
            store.search("docs", [1, 0, 0], k=2, document={{"$contains": "text"}})
            store.count("docs", where={{"k": {{"$exists": True}}}})
            assert store.adapter._client.get_collection("docs", embedding_function=None)._embedding_function is None
        print(events)
        """,
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
    )
    out, err = child.communicate(timeout=READY_TIMEOUT_S)
    assert child.returncode == 0, err
    assert out.strip() == "[]", f"socket use: {out}"
    assert not (home / ".cache" / "chroma").exists()
