"""Choose and configure a backend from a URL or a TOML table, never from code (DESIGN 6).

Resolution order: the explicit argument, then ``VECTORSTORE_URL``, then ``VECTORSTORE_CONFIG`` (a TOML file), then
``./vectorstore.toml``, then the embedded default (Qdrant's embedded engine under ``./.vectorstore/`` when the qdrant
adapter is installed, ``memory://`` otherwise).

A URL's scheme picks the adapter (``chroma+http`` is the ``chroma`` adapter, variant ``http``); host, port, path and
query parameters become that adapter's pydantic config. ``isolation``, ``timeout_s``, ``heal`` (self-healing on
open) and ``none_values`` are store settings that apply to any adapter. Secrets (``api_key``, URL passwords) are
``SecretStr`` and redacted in every repr and log line.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigurationError
from .registry import AdapterSpec, registry
from .shadow.settings import ShadowSettings, shadow_settings

DEFAULT_DIRECTORY = ".vectorstore"
TOML_FILE = "vectorstore.toml"
SECRET_KEYS = frozenset({"api_key", "password", "token"})
_STORE_KEYS = (
    "isolation", "timeout_s", "circuit_failures", "circuit_cooldown_s", "worker_threads", "reply_spin_ms", "heal",
    "none_values",
)


class EnvironmentSettings(BaseSettings):
    """What the environment says: ``VECTORSTORE_URL`` or ``VECTORSTORE_CONFIG`` (path of a TOML file)."""

    model_config = SettingsConfigDict(env_prefix="VECTORSTORE_", extra="ignore")

    url: str | None = None
    config: Path | None = None


class StoreSettings(BaseModel):
    """Settings of the store itself, whatever the adapter."""

    model_config = ConfigDict(extra="forbid")

    #: ``process`` runs the adapter in a supervised worker process; ``None`` takes the adapter's default.
    isolation: Literal["none", "process"] | None = None
    #: Per-call timeout of an isolated store, in seconds.
    timeout_s: float = Field(default=180.0, gt=0)
    #: Consecutive worker deaths of an isolated store that open its circuit.
    circuit_failures: int = Field(default=3, ge=1)
    #: How long an open circuit fails calls fast before one call may start a new worker.
    circuit_cooldown_s: float = Field(default=30.0, gt=0)
    #: Threads an isolated store's worker serves requests on (1 for an adapter that is not thread-safe).
    worker_threads: int = Field(default=8, ge=1)
    #: How long a lone call to an isolated store may poll for its reply instead of sleeping (``IsolationPolicy``;
    #: None: its default, 0).
    reply_spin_ms: float | None = Field(default=None, ge=0)
    #: What opening the store does about damaged collections (docs/durability.md): ``off`` nothing; ``repair`` runs
    #: the doctor's cheap checks and repairs a damaged collection before serving it (refusing it, as ``quarantine``
    #: does, when the repair is impossible or incomplete); ``quarantine`` refuses its calls with
    #: ``CollectionDamaged``.
    heal: Literal["off", "repair", "quarantine"] = "off"
    #: What a ``None`` metadata value means (docs/contract.md "Records"): ``drop`` (no value: the key is not
    #: stored), or ``refuse`` (an ``InvalidRecord`` error, as for any value of no metadata type).
    none_values: Literal["drop", "refuse"] = "drop"


class Resolved(BaseModel):
    """A fully resolved configuration: which adapter, its validated config, and the store settings."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    spec: AdapterSpec
    config: BaseModel
    settings: StoreSettings
    source: str
    url: str
    #: A ``shadow`` key names a store that shadows this one (live migration, :mod:`vectorstore.shadow`).
    shadow: ShadowSettings | None = None

    @property
    def isolation(self) -> Literal["none", "process"]:
        return self.settings.isolation or self.spec.default_isolation


def redact(url: str) -> str:
    """The URL with its password and secret query parameters replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@")
    query = urlencode([(k, "***" if k in SECRET_KEYS else v) for k, v in parse_qsl(parts.query)], safe="*/:")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_options(url: str) -> tuple[str, dict[str, Any]]:
    """Split a URL into its scheme and a flat options dict (variant, host, port, path, username, query params)."""
    parts = urlsplit(url)
    if not parts.scheme:
        raise ConfigurationError(f"not a store URL: {redact(url)!r}; expected e.g. memory:// or chroma:///path")
    scheme = parts.scheme.lower()
    options: dict[str, Any] = {}
    if "+" in scheme:
        options["variant"] = scheme.split("+", 1)[1]
    try:
        port = parts.port
    except ValueError as exc:  # not a number, or beyond 65535
        raise ConfigurationError(f"invalid port in {redact(url)!r}: {exc}") from None
    if parts.hostname and port is not None or options.get("variant") in ("http", "https", "grpc"):
        options["host"] = parts.hostname
        if port is not None:
            options["port"] = port
    else:
        host = parts.netloc.rpartition("@")[2]  # never the credentials
        location = unquote(host + parts.path)
        if location:
            options["path"] = location
    if parts.username:
        options["username"] = unquote(parts.username)
    if parts.password:
        options["api_key"] = unquote(parts.password)
    # Values stay strings: the pydantic config models coerce them to each field's type ("true" -> True for a bool,
    # "3" -> 3 for an int) and leave a str field alone, so an api_key of digits stays a str.
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        options[key] = value
    return scheme, options


def _default_url() -> str:
    # A qdrant plugin that is installed but broken must raise (for_scheme), not silently make the default memory://.
    if "qdrant" in registry().adapters() or registry().failed("qdrant"):
        return f"qdrant://{DEFAULT_DIRECTORY}/qdrant"
    return "memory://"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"cannot read configuration file {path}: {exc}") from exc
    table = data.get("vectorstore", data)
    if not isinstance(table, dict):
        raise ConfigurationError(f"{path}: [vectorstore] must be a table")
    return table


def _from_mapping(table: Mapping[str, Any], source: str) -> tuple[str, dict[str, Any]]:
    """A TOML table or dict: either ``url = ...`` plus options, or ``backend = ...`` plus options."""
    options = dict(table)
    url = options.pop("url", None)
    backend = options.pop("backend", None)
    if url is None and backend is None:
        raise ConfigurationError(f"{source}: give either 'url' or 'backend'")
    if url is not None:
        scheme, from_url = url_options(url)
        return scheme, {**from_url, **options}
    return str(backend), options


def resolve(url: str | None = None, config: Mapping[str, Any] | None = None, **overrides: Any) -> Resolved:
    """Find the adapter and validate its configuration, following the resolution order of the module docstring."""
    env = EnvironmentSettings()
    if url is not None:
        source, (scheme, options) = "argument", url_options(url)
    elif config is not None:
        source, (scheme, options) = "config argument", _from_mapping(config, "config argument")
    elif env.url:
        source, (scheme, options) = "VECTORSTORE_URL", url_options(env.url)
    elif env.config:
        source = f"VECTORSTORE_CONFIG={env.config}"
        scheme, options = _from_mapping(_read_toml(env.config), source)
    elif Path(TOML_FILE).is_file():
        source = str(Path(TOML_FILE).resolve())
        scheme, options = _from_mapping(_read_toml(Path(TOML_FILE)), source)
    else:
        source, (scheme, options) = "embedded default", url_options(_default_url())
    options.update(overrides)
    shadow = options.pop("shadow", None)
    spec = registry().for_scheme(scheme)
    store_options = {key: options.pop(key) for key in _STORE_KEYS if key in options}
    try:
        settings = StoreSettings(**store_options)
        adapter_config = spec.load_config()(**options)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"invalid configuration for {spec.name} ({source}): {problems}") from None
    # Whatever an adapter types as SecretStr is a secret, whatever its name.
    secrets = SECRET_KEYS | {key for key, value in adapter_config if isinstance(value, SecretStr)}
    url = _describe(scheme, options, secrets)
    return Resolved(
        spec=spec, config=adapter_config, settings=settings, source=source, url=url,
        shadow=None if shadow is None else shadow_settings(shadow, source),
    )


def _describe(scheme: str, options: Mapping[str, Any], secrets: frozenset[str] = SECRET_KEYS) -> str:
    """A readable URL for reprs and logs, with the values of ``secrets`` replaced by ``***``."""
    hidden = ("variant", "path", "host", "port")
    shown = {k: ("***" if k in secrets else v) for k, v in options.items() if k not in hidden}
    location = options.get("path") or (
        f"{options.get('host', '')}:{options['port']}" if "port" in options else options.get("host", "")
    )
    query = f"?{urlencode(shown, safe='*')}" if shown else ""
    return f"{scheme}://{quote(str(location), safe='/:.~')}{query}"
