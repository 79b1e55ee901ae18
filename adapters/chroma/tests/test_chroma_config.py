"""URLs and TOML options become a validated ``ChromaConfig``; the plugin declares the adapter without chromadb."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vectorstore.config import resolve
from vectorstore.errors import ConfigurationError
from vectorstore_chroma.config import ChromaConfig


def config_of(url: str) -> ChromaConfig:
    resolved = resolve(url)
    assert isinstance(resolved.config, ChromaConfig)
    return resolved.config


def test_the_three_kinds() -> None:
    assert config_of("chroma:///data/chroma").kind == "persistent"
    assert config_of("chroma:///data/chroma").path == "/data/chroma"
    assert config_of("chroma+memory://").kind == "memory"
    http = config_of("chroma+http://db.internal:8123?tenant=t&database=d")
    assert (http.kind, http.host, http.port, http.tenant, http.database) == ("http", "db.internal", 8123, "t", "d")
    assert config_of("chroma+https://db.internal").kind == "http"


def test_isolation_defaults_to_process_and_can_be_turned_off() -> None:
    assert resolve("chroma:///data/chroma").isolation == "process"
    assert resolve("chroma:///data/chroma?isolation=none").isolation == "none"


def test_hnsw_options_from_the_url() -> None:
    config = config_of("chroma:///d?ef_search=64&ef_construction=200&max_neighbors=32")
    assert config.hnsw == {"ef_search": 64, "ef_construction": 200, "max_neighbors": 32}


@pytest.mark.parametrize(
    "url",
    [
        "chroma://",  # no directory
        "chroma+http://",  # no host
        "chroma:///d?host=x",  # host on an embedded store
        "chroma+memory://?database=other",  # memory stores have a private database
        "chroma:///d?ef_search=0",
        "chroma:///d?unknown_option=1",  # misspelt options are errors, not ignored
    ],
)
def test_bad_configuration_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError):
        resolve(url)


def test_api_key_is_secret_and_becomes_a_header() -> None:
    resolved = resolve("chroma+http://host:8000?api_key=s3cret")
    assert "s3cret" not in repr(resolved.config) and "s3cret" not in resolved.url
    assert resolved.config.headers() == {"X-Chroma-Token": "s3cret"}  # type: ignore[attr-defined]
    bearer = config_of("chroma+http://host:8000?api_key=s3cret&auth_header=authorization")
    assert bearer.headers() == {"Authorization": "Bearer s3cret"}
    basic = config_of("chroma+http://admin:pw@host:8000")
    assert basic.headers() == {"Authorization": "Basic YWRtaW46cHc="}  # base64("admin:pw")
    assert config_of("chroma+http://host:8000").headers() == {}


def test_plugin_does_not_import_chromadb() -> None:
    """``vectorstore info`` and every other store stay fast: only opening a chroma store imports chromadb."""
    code = (
        "import sys; from vectorstore.registry import registry; from vectorstore.config import resolve; "
        "assert 'chroma' in registry().adapters(); resolve('chroma:///tmp/x'); "
        "print('chromadb' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
