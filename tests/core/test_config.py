"""Configuration (DESIGN 6): URL parsing, resolution order, install hints, option checks, and secrets never shown.

The test-only ``probe`` adapter (see ``probe.py``) has typed options, so each case can say exactly which value
reached the adapter's config model and from which source.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

import vectorstore
from vectorstore.config import redact, resolve
from vectorstore.errors import AdapterNotFound, ConfigurationError
from vectorstore.registry import Registry

from .probe import Plugin, ProbeAdapter, ProbeConfig, spec

pytestmark = pytest.mark.usefixtures("clean_env")


def config_of(url: str | None = None, **kwargs: Any) -> ProbeConfig:
    resolved = resolve(url, **kwargs)
    assert isinstance(resolved.config, ProbeConfig)
    return resolved.config


# -- URLs -----------------------------------------------------------------------------------------------------------

URLS: list[tuple[str, dict[str, Any]]] = [
    ("probe://", {}),
    ("probe:///abs/path", {"path": "/abs/path"}),
    ("probe://./rel/dir", {"path": "./rel/dir"}),
    ("probe://rel/dir", {"path": "rel/dir"}),
    ("probe://.vectorstore/data", {"path": ".vectorstore/data"}),
    ("probe:///data/my%20dir", {"path": "/data/my dir"}),
    ("PROBE:///upper", {"path": "/upper"}),
    ("probe+http://example.com:6333", {"variant": "http", "host": "example.com", "port": 6333}),
    ("probe+http://example.com", {"variant": "http", "host": "example.com"}),
    ("probe+http://bob@example.com:1", {"variant": "http", "host": "example.com", "port": 1, "username": "bob"}),
    ("probe+http://[::1]:6333", {"variant": "http", "host": "::1", "port": 6333}),
]


@pytest.mark.parametrize(("url", "expected"), URLS, ids=[u for u, _ in URLS])
def test_url_parts_reach_the_config_model(probe: Registry, url: str, expected: dict[str, Any]) -> None:
    values = config_of(url).model_dump(include={"variant", "host", "port", "path", "username"}, exclude_none=True)
    assert values == expected


def test_credentials_are_decoded_and_kept_out_of_the_path(probe: Registry) -> None:
    config = config_of("probe://bob%20b:p%40ss@./data")
    assert (config.username, config.path) == ("bob b", "./data")
    assert config.api_key is not None and config.api_key.get_secret_value() == "p@ss"


def test_query_parameters_are_coerced_by_the_config_model(probe: Registry) -> None:
    resolved = resolve("probe:///p?flag=true&size=3&ratio=2.5&label=007&timeout_s=2.5&isolation=none")
    config = resolved.config
    assert isinstance(config, ProbeConfig)
    assert (config.flag, config.size, config.ratio, config.label) == (True, 3, 2.5, "007")
    assert type(config.size) is int and type(config.ratio) is float
    assert resolved.settings.timeout_s == 2.5 and resolved.isolation == "none"
    assert config_of("probe://?flag=off").flag is False
    assert config_of("probe://?flag=1").flag is True


def test_digits_stay_a_string_where_a_string_is_expected(probe: Registry) -> None:
    config = config_of("probe://?api_key=12345&label=true")
    assert config.api_key is not None and config.api_key.get_secret_value() == "12345"
    assert config.label == "true"


def test_keyword_options_override_query_parameters(probe: Registry) -> None:
    assert config_of("probe:///p?size=2", size=5).size == 5
    store = vectorstore.open("probe:///p?size=2", size=6)
    assert isinstance(store.adapter, ProbeAdapter) and store.adapter.config.size == 6


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("probe+http://example.com:notaport", "port"),
        ("probe+http://example.com:70000", "port"),
        ("/no/scheme", "not a store URL"),
        ("", "not a store URL"),
    ],
)
def test_malformed_urls(probe: Registry, url: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        resolve(url)


# -- unknown and missing adapters -----------------------------------------------------------------------------------


def test_unknown_scheme_lists_installed_ones(probe: Registry) -> None:
    with pytest.raises(AdapterNotFound) as caught:
        vectorstore.open("nosuch://x")
    message = str(caught.value)
    assert "'nosuch'" in message and "memory://" in message and "probe://" in message
    assert "pip install vectorstore-chroma" in message and "pip install vectorstore-qdrant" in message


@pytest.mark.parametrize(
    ("url", "install"),
    [
        ("chroma:///data/chroma", "pip install vectorstore-chroma"),
        ("chroma+http://localhost:8000", "pip install vectorstore-chroma"),
        ("qdrant:///data/qdrant", "pip install vectorstore-qdrant"),
        ("qdrant+http://localhost:6333", "pip install vectorstore-qdrant"),
    ],
)
def test_known_adapter_not_installed_says_what_to_install(fresh_registry: Registry, url: str, install: str) -> None:
    with pytest.raises(AdapterNotFound, match=install):
        vectorstore.open(url)


def test_unknown_variant_of_a_known_adapter(probe: Registry) -> None:
    with pytest.raises(AdapterNotFound, match="probe\\+http://"):
        vectorstore.open("probe+grpc://host:1")


def test_declared_adapter_whose_package_is_missing(fresh_registry: Registry) -> None:
    ghost = spec("ghost", ("ghost",), adapter="vectorstore_ghost.adapter:Ghost", config="vectorstore_ghost.config:Cfg")
    fresh_registry.register(Plugin(ghost))
    with pytest.raises(AdapterNotFound, match="install") as caught:
        vectorstore.open("ghost://")
    assert "vectorstore_ghost" in str(caught.value)


def test_declared_adapter_class_that_does_not_exist(fresh_registry: Registry) -> None:
    broken = spec("broken", ("broken",), adapter="vectorstore.adapters.memory:NoSuchAdapter")
    fresh_registry.register(Plugin(broken))
    with pytest.raises(ConfigurationError, match="NoSuchAdapter"):
        vectorstore.open("broken://")


# -- bad options ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "options", "fragment"),
    [
        ("memory://?bogus=1", {}, "bogus"),
        ("memory://", {"bogus": 1}, "bogus"),
        ("memory:///some/path", {}, "path"),
        ("probe://?size=abc", {}, "size"),
        ("probe://?timeout_s=0", {}, "timeout_s"),
        ("probe://?timeout_s=-1", {}, "timeout_s"),
        ("probe://?isolation=thread", {}, "isolation"),
        ("probe://?colour=red", {}, "colour"),
    ],
)
def test_bad_options_are_rejected(probe: Registry, url: str, options: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        vectorstore.open(url, **options)


# -- resolution order -----------------------------------------------------------------------------------------------


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def every_source(probe: Registry, clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Configuration in every place at once, each naming a different path."""
    write_toml(clean_env / "vectorstore.toml", '[vectorstore]\nurl = "probe:///from-cwd-toml"\n')
    config_file = write_toml(clean_env / "elsewhere.toml", '[vectorstore]\nurl = "probe:///from-config-env"\n')
    monkeypatch.setenv("VECTORSTORE_CONFIG", str(config_file))
    monkeypatch.setenv("VECTORSTORE_URL", "probe:///from-url-env")
    return clean_env


def test_argument_wins(every_source: Path) -> None:
    resolved = resolve("probe:///from-argument")
    assert (resolved.config.path, resolved.source) == ("/from-argument", "argument")  # type: ignore[attr-defined]
    assert config_of(config={"url": "probe:///from-mapping"}).path == "/from-mapping"


def test_then_vectorstore_url(every_source: Path) -> None:
    resolved = resolve()
    assert (resolved.config.path, resolved.source) == ("/from-url-env", "VECTORSTORE_URL")  # type: ignore[attr-defined]


def test_then_vectorstore_config(every_source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VECTORSTORE_URL")
    resolved = resolve()
    assert resolved.config.path == "/from-config-env"  # type: ignore[attr-defined]
    assert "VECTORSTORE_CONFIG" in resolved.source


def test_then_the_toml_in_the_working_directory(every_source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VECTORSTORE_URL")
    monkeypatch.delenv("VECTORSTORE_CONFIG")
    resolved = resolve()
    assert resolved.config.path == "/from-cwd-toml"  # type: ignore[attr-defined]
    assert resolved.source == str(every_source / "vectorstore.toml")


def test_then_the_embedded_default_memory(fresh_registry: Registry) -> None:
    resolved = resolve()
    assert (resolved.spec.name, resolved.url, resolved.source) == ("memory", "memory://", "embedded default")
    with vectorstore.open() as store:
        assert store.adapter.name == "memory"


def test_embedded_default_is_qdrant_on_disk_once_installed(fresh_registry: Registry) -> None:
    fresh_registry.register(Plugin(spec("qdrant", ("qdrant",))))  # stands in for the real plugin
    resolved = resolve()
    assert (resolved.spec.name, resolved.config.path) == ("qdrant", ".vectorstore/qdrant")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[vectorstore]\nurl = "probe:///t"\nsize = 4\n', {"path": "/t", "size": 4}),
        ('url = "probe:///top-level"\n', {"path": "/top-level"}),
        ('[vectorstore]\nbackend = "probe"\npath = "/b"\nflag = true\n', {"path": "/b", "flag": True}),
        ('[vectorstore]\nurl = "probe:///u?size=2"\nsize = 9\n', {"path": "/u", "size": 9}),
    ],
    ids=["table", "top-level", "backend", "table-overrides-query"],
)
def test_toml_forms(probe: Registry, clean_env: Path, text: str, expected: dict[str, Any]) -> None:
    write_toml(clean_env / "vectorstore.toml", text)
    assert config_of().model_dump(include=set(expected)) == expected


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [
        ("[vectorstore]\nsize = 1\n", ConfigurationError, "'url' or 'backend'"),
        ("[vectorstore\nurl = 1", ConfigurationError, "vectorstore.toml"),
        ("vectorstore = 5\n", ConfigurationError, "table"),
        ('[vectorstore]\nurl = "probe://"\nunknown_option = 1\n', ConfigurationError, "unknown_option"),
        ('[vectorstore]\nbackend = "nosuch"\n', AdapterNotFound, "nosuch"),
    ],
    ids=["no-url", "malformed", "not-a-table", "unknown-option", "unknown-backend"],
)
def test_bad_toml(probe: Registry, clean_env: Path, text: str, error: type[Exception], fragment: str) -> None:
    write_toml(clean_env / "vectorstore.toml", text)
    with pytest.raises(error, match=fragment):
        resolve()


def test_vectorstore_config_naming_a_missing_file(probe: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VECTORSTORE_CONFIG", "/nonexistent/vectorstore.toml")
    with pytest.raises(ConfigurationError, match="/nonexistent/vectorstore.toml"):
        resolve()


# -- secrets --------------------------------------------------------------------------------------------------------

SECRET = "s3cr3t-Zq9"

SECRET_URLS = [
    f"probe+http://example.com:6333?api_key={SECRET}",
    f"probe+http://bob:{SECRET}@example.com:6333",
    f"probe:///data?auth_token={SECRET}",
    f"probe://bob:{SECRET}@./data",
]


@pytest.mark.parametrize("url", SECRET_URLS, ids=["query", "password", "other-secret-field", "password-path-url"])
def test_secrets_never_shown(probe: Registry, caplog: pytest.LogCaptureFixture, url: str) -> None:
    caplog.set_level(logging.DEBUG)
    resolved = resolve(url)
    config = resolved.config
    assert isinstance(config, ProbeConfig)
    secret_field = config.auth_token if "auth_token" in url else config.api_key
    assert secret_field is not None and secret_field.get_secret_value() == SECRET  # it did arrive
    with vectorstore.open(url) as store:
        store.create_collection("docs", 2)
        store.upsert("docs", ["a"], [[1, 0]])
        store.search("docs", [1, 0])
        shown = [repr(store), str(store), repr(store.collection("docs")), store.url or ""]
    shown += [repr(resolved), str(resolved), repr(config), str(config), resolved.url, config.model_dump_json()]
    shown += [record.getMessage() for record in caplog.records]
    for text in shown:
        assert SECRET not in text


def test_secret_not_echoed_by_configuration_errors(probe: Registry) -> None:
    for url in (f"probe://?api_key={SECRET}&size=oops", f"memory://?api_key={SECRET}", f"nosuch://u:{SECRET}@h:1"):
        with pytest.raises(ConfigurationError) as caught:
            vectorstore.open(url)
        assert SECRET not in str(caught.value)


def test_redact() -> None:
    assert redact(f"qdrant+http://bob:{SECRET}@host:1/p?api_key={SECRET}&x=1") == (
        "qdrant+http://bob:***@host:1/p?api_key=***&x=1"
    )
