"""Shared handles (:mod:`vectorstore.sharing`) on the suite's persistent example adapter: one adapter per local path
in a process, counted handles, a refusal that names differing options, and nothing shared for paths-less stores."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from vectorstore_conformance.registration import visible_plugins

import vectorstore
from vectorstore.errors import StoreClosed, StoreLocked
from vectorstore.sharing import HANDLES

EXAMPLE = {"picklefile": "vectorstore_conformance.examples.picklefile"}


@pytest.fixture(scope="module", autouse=True)
def example_adapter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with visible_plugins(tmp_path_factory.mktemp("site"), EXAMPLE):
        yield


def _key(path: Path) -> str:
    return f"picklefile:{path.resolve()}"


def test_handles_share_one_adapter_and_the_last_close_releases_it(tmp_path: Path) -> None:
    first = vectorstore.open(f"picklefile://{tmp_path}/s")
    second = vectorstore.open(f"picklefile://{tmp_path}/s/../s")
    assert second.adapter is first.adapter
    assert HANDLES.open_paths()[_key(tmp_path / "s")] == 2
    first.create_collection("col", 2)
    second.upsert("col", ["a"], [[1.0, 0.0]])
    assert second.get_collection("col").dimension == 2
    first.close()
    first.close()  # a second close of one handle releases nothing more
    assert HANDLES.open_paths()[_key(tmp_path / "s")] == 1
    with pytest.raises(StoreClosed):
        first.count("col")
    assert second.count("col") == 1
    second.close()
    assert _key(tmp_path / "s") not in HANDLES.open_paths()
    with vectorstore.open(f"picklefile://{tmp_path}/s") as again:  # the lock was released: a new owner
        assert again.adapter is not first.adapter
        assert again.count("col") == 1


def test_handles_share_collection_shapes(tmp_path: Path) -> None:
    """A collection recreated with another dimension through one handle is seen with it through the other."""
    with vectorstore.open(f"picklefile://{tmp_path}/s") as first, vectorstore.open(f"picklefile://{tmp_path}/s") as second:
        first.create_collection("col", 2)
        second.upsert("col", ["a"], [[1.0, 0.0]])
        first.delete_collection("col")
        first.create_collection("col", 3)
        second.upsert("col", ["b"], [[1.0, 0.0, 0.0]])
        assert [record.id for record in first.get("col", ["a", "b"])] == ["b"]


def test_a_forgotten_handle_is_released_when_collected(tmp_path: Path) -> None:
    kept = vectorstore.open(f"picklefile://{tmp_path}/s")
    forgotten = vectorstore.open(f"picklefile://{tmp_path}/s")
    assert HANDLES.open_paths()[_key(tmp_path / "s")] == 2
    del forgotten
    gc.collect()
    assert HANDLES.open_paths()[_key(tmp_path / "s")] == 1
    kept.close()
    assert _key(tmp_path / "s") not in HANDLES.open_paths()


def test_other_options_on_the_same_path_are_refused_and_change_nothing(tmp_path: Path) -> None:
    with vectorstore.open(f"picklefile://{tmp_path}/s") as first:
        with pytest.raises(StoreLocked, match=r"approximate: open False, asked True"):
            vectorstore.open(f"picklefile://{tmp_path}/s?approximate=true")
        assert HANDLES.open_paths()[_key(tmp_path / "s")] == 1
        assert first.list_collections() == []


def test_threads_opening_one_path_at_once_share_it(tmp_path: Path) -> None:
    opened: list[vectorstore.VectorStore] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def open_() -> None:
        start.wait()
        try:
            opened.append(vectorstore.open(f"picklefile://{tmp_path}/s"))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len({id(store.adapter) for store in opened}) == 1
    for store in opened:
        store.close()
    assert _key(tmp_path / "s") not in HANDLES.open_paths()


def test_stores_without_a_local_path_are_never_shared() -> None:
    with vectorstore.open("memory://") as first, vectorstore.open("memory://") as second:
        first.create_collection("col", 2)
        assert second.adapter is not first.adapter
        assert second.list_collections() == []
