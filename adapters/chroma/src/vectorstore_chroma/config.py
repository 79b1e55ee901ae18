"""``ChromaConfig``: what a ``chroma`` URL or TOML table may say (no chromadb import, so it validates cheaply).

``vectorstore.config.url_options`` turns the URL's ``+variant``, host, port, path and query parameters into keyword
arguments of this model:

- ``chroma:///data/chroma`` -> ``PersistentClient`` on that directory;
- ``chroma+memory://`` -> ``EphemeralClient`` with a private database of its own;
- ``chroma+http://host:8000`` / ``chroma+https://...`` -> ``HttpClient`` against a ``chroma run`` server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

DEFAULT_TENANT = "default_tenant"
DEFAULT_DATABASE = "default_database"

Kind = Literal["persistent", "memory", "http"]


class ChromaConfig(BaseModel):
    """Options of the ``chroma`` adapter; unknown keys are an error, secrets are ``SecretStr``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: From the scheme: ``chroma`` (none), ``chroma+memory``, ``chroma+http``, ``chroma+https``.
    variant: Literal["http", "https", "memory"] | None = None
    #: Directory of an embedded persistent store.
    path: str | None = None
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    tenant: str = DEFAULT_TENANT
    database: str = DEFAULT_DATABASE
    #: With ``api_key``: HTTP basic auth (``chroma+http://user:password@host:8000``).
    username: str | None = None
    #: Token (or basic-auth password) sent to a server; never printed.
    api_key: SecretStr | None = None
    #: Where a token goes: Chroma's ``X-Chroma-Token`` header or ``Authorization: Bearer``.
    auth_header: Literal["x-chroma-token", "authorization"] = "x-chroma-token"
    #: HNSW parameters of collections this adapter creates. ``ef_search`` is 5x Chroma's default (100), which made
    #: collections of up to a few thousand vectors come back exact in our measurements at a query-time cost only;
    #: the construction parameters keep Chroma's defaults, so inserts cost the same (docs/backends/chroma.md).
    ef_search: int = Field(default=500, ge=1)
    ef_construction: int = Field(default=100, ge=1)
    max_neighbors: int = Field(default=16, ge=2)
    #: Embedded persistent stores only: keep Chroma's write-ahead log (``automatically_purge`` off) so that a
    #: collection whose index files a kill damaged can be rebuilt by ``repair``; the log is compacted to about one
    #: entry per live record (docs/backends/chroma.md, "Durability and repair"). ``?recovery=false`` restores
    #: Chroma's default purge, and with it the risk of losing a collection's writes to a damaged index.
    recovery: bool = True

    @model_validator(mode="after")
    def _check_location(self) -> ChromaConfig:
        kind = self.kind
        if kind == "persistent" and not self.path:
            raise ValueError("chroma:// needs a directory, e.g. chroma:///data/chroma (or use chroma+memory://)")
        if kind != "persistent" and self.path not in (None, "", "/"):
            raise ValueError(f"a path does not apply to chroma+{self.variant}://")
        if kind == "http" and not self.host:
            raise ValueError(f"chroma+{self.variant}:// needs a host, e.g. chroma+{self.variant}://localhost:8000")
        if kind != "http" and (self.host or self.port or self.api_key or self.username):
            raise ValueError("host, port, username and api_key only apply to chroma+http:// and chroma+https://")
        if kind == "memory" and (self.tenant, self.database) != (DEFAULT_TENANT, DEFAULT_DATABASE):
            raise ValueError("chroma+memory:// stores get a private database of their own; tenant/database do not apply")
        return self

    @property
    def kind(self) -> Kind:
        if self.variant == "memory":
            return "memory"
        return "http" if self.variant in ("http", "https") else "persistent"

    @property
    def directory(self) -> Path:
        """The persistent directory, absolute, so that one path has one lock and one Chroma system."""
        return Path(self.path or ".").expanduser().resolve()

    def local_path(self) -> Path | None:
        """The directory an embedded persistent store owns (one owner per directory; see vectorstore.sharing)."""
        return self.directory if self.kind == "persistent" else None

    @property
    def hnsw(self) -> dict[str, int]:
        return {"ef_search": self.ef_search, "ef_construction": self.ef_construction, "max_neighbors": self.max_neighbors}

    def headers(self) -> dict[str, str]:
        """Authentication headers for an HTTP client (empty without an ``api_key``)."""
        if self.api_key is None:
            return {}
        secret = self.api_key.get_secret_value()
        if self.username is not None:
            import base64

            pair = base64.b64encode(f"{self.username}:{secret}".encode()).decode()
            return {"Authorization": f"Basic {pair}"}
        if self.auth_header == "authorization":
            return {"Authorization": f"Bearer {secret}"}
        return {"X-Chroma-Token": secret}
