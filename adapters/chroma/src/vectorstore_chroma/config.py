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
Recall = Literal["high", "fast"]

#: ``ef_search`` by collection size (records, inclusive upper bounds) per recall target; measured with
#: ``adapters/chroma/bench/recall.py`` on chromadb 1.5.9 (random 384-d unit vectors are the hard case).
_BREADTH: dict[Recall, tuple[tuple[float, int], ...]] = {
    "fast": ((float("inf"), 100),),
    "high": ((2_000, 100), (5_000, 200), (float("inf"), 300)),
}
#: ``ef_construction`` per recall target: Chroma's 100, or a denser graph (inserts about 1.3x slower).
_CONSTRUCTION: dict[Recall, int] = {"fast": 100, "high": 200}


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
    #: Recall target of collections this adapter creates (docs/backends/chroma.md, "Exactness and recall").
    #: ``fast`` (the default) is Chroma's own setting, ``ef_search`` 100 at every size: raw Chroma's query speed, and
    #: recall@10 0.995-1.0 on clustered data (what embeddings look like) at 10,000 and 100,000. ``high`` widens the
    #: search as the collection grows (:meth:`search_breadth`) and builds a denser graph (``ef_construction`` 200):
    #: 1.3-1.8x the query time, for unstructured data (random 384-d vectors: 0.85 instead of 0.52 at 10,000).
    recall: Recall = "fast"
    #: A fixed HNSW search breadth instead of the sized one (kept as created; never resized).
    ef_search: int | None = Field(default=None, ge=1)
    #: HNSW build parameters (``None``: what ``recall`` chooses); Chroma fixes them when a collection is created.
    ef_construction: int | None = Field(default=None, ge=1)
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
        """The HNSW settings a new (empty) collection is created with."""
        construction = self.ef_construction or _CONSTRUCTION[self.recall]
        return {"ef_search": self.search_breadth(0), "ef_construction": construction, "max_neighbors": self.max_neighbors}

    def search_breadth(self, count: int) -> int:
        """``ef_search`` for a collection of ``count`` records: the fixed ``ef_search`` if given, else the smallest
        breadth of the ``recall`` target's table whose size bound ``count`` is within.

        Why sized: a breadth at or above the collection's size costs nothing extra (the search visits the whole
        graph either way), while on a large collection each doubling costs about 1.5x in query time, so a fixed
        breadth is either too narrow for large collections or too costly for them.
        """
        if self.ef_search is not None:
            return self.ef_search
        return self._bracket(count)[1]

    def breadth_bound(self, count: int) -> float:
        """The size up to which :meth:`search_breadth` stays what it is at ``count`` (infinite when fixed)."""
        return float("inf") if self.ef_search is not None else self._bracket(count)[0]

    def _bracket(self, count: int) -> tuple[float, int]:
        return next(bracket for bracket in _BREADTH[self.recall] if count <= bracket[0])

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
