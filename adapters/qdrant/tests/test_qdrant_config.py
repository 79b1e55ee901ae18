"""URLs to engines and options, secrets, plugin discovery, and errors from a real unreachable server."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

import vectorstore
from vectorstore.config import resolve
from vectorstore.errors import BackendUnavailable, ConfigurationError
from vectorstore.registry import registry
from vectorstore_qdrant.config import QdrantConfig


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("qdrant:///data/q", "edge"),
        ("qdrant://relative/dir", "edge"),
        ("qdrant+local:///data/q", "local"),
        ("qdrant+memory://", "memory"),
        ("qdrant+http://db.example:6333", "server"),
        ("qdrant+https://db.example", "server"),
    ],
)
def test_url_picks_the_engine(url: str, engine: str) -> None:
    resolved = resolve(url)
    assert resolved.spec.name == "qdrant"
    assert isinstance(resolved.config, QdrantConfig)
    assert resolved.config.engine == engine


def test_options_from_the_query_string() -> None:
    config = resolve(
        "qdrant+https://db.example:443?api_key=12345&prefer_grpc=true&timeout=30&exact=true&hnsw_ef=256"
        "&vector_name=dense_vector&id_field=__id__&document_field=document&batch_size=64"
    ).config
    assert isinstance(config, QdrantConfig)
    assert (config.host, config.port, config.prefer_grpc, config.timeout) == ("db.example", 443, True, 30)
    assert (config.exact_search, config.hnsw_ef, config.write_batch) == (True, 256, 64)
    assert (config.vector_name, config.id_field, config.document_field) == ("dense_vector", "__id__", "document")
    assert config.api_key is not None and config.api_key.get_secret_value() == "12345"
    assert "12345" not in repr(config) and "12345" not in str(config)


def test_exact_search_defaults() -> None:
    assert QdrantConfig(path="/x").exact_search is True  # embedded: exact until asked otherwise
    assert QdrantConfig(variant="http", host="h").exact_search is False  # servers use their HNSW index
    assert QdrantConfig(variant="memory", exact=False).exact_search is True  # local mode is brute force anyway


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("qdrant://localhost:6333", "qdrant\\+http://localhost:6333"),
        ("qdrant+memory:///data", "takes no path"),
        ("qdrant+local://", "needs a directory"),
        ("qdrant+http://h:6333?id_field=_vs_x", "reserved"),
        ("qdrant+http://h:6333?id_field=a&document_field=a", "two different"),
        ("qdrant+http://h:6333?nonsense=1", "nonsense"),
    ],
)
def test_bad_configuration_is_explained(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        resolve(url)


def test_plugin_is_registered_without_importing_qdrant() -> None:
    assert "qdrant" in registry().adapters()
    code = (
        "import sys, vectorstore_qdrant.plugin as p; from vectorstore.registry import registry;"
        "registry().adapters();"
        "print(sorted(m for m in sys.modules if m.startswith(('qdrant_client', 'qdrant_edge'))))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_server_is_backend_unavailable() -> None:
    with pytest.raises(BackendUnavailable, match="cannot reach Qdrant") as raised:
        vectorstore.open(f"qdrant+http://127.0.0.1:{_closed_port()}?timeout=2")
    assert raised.value.__cause__ is not None


def test_default_store_is_the_embedded_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VECTORSTORE_URL", raising=False)
    monkeypatch.delenv("VECTORSTORE_CONFIG", raising=False)
    with vectorstore.open() as store:
        assert store.adapter.name == "qdrant"
        store.create_collection("c-1", 2)
    assert (tmp_path / ".vectorstore" / "qdrant" / "vectorstore-qdrant.json").exists()


def test_server_options_are_what_both_clients_get() -> None:
    """The sync engine and the async store build their qdrant-client from these (one place, secret unwrapped)."""
    config = resolve("qdrant+https://cloud.example:6333?api_key=s3cret&timeout=9&prefer_grpc=true").config
    assert isinstance(config, QdrantConfig)
    assert config.server_options() == {
        "host": "cloud.example", "port": 6333, "grpc_port": 6334, "prefer_grpc": True, "https": True,
        "api_key": "s3cret", "timeout": 9, "check_compatibility": False,
    }
    assert resolve("qdrant+http://localhost").config.server_options()["port"] == 6333  # type: ignore[attr-defined]
