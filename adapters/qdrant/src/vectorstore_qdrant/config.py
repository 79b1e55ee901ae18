"""``QdrantConfig``: what a ``qdrant*://`` URL or TOML table says, validated before anything is opened.

The URL picks the engine (see :mod:`vectorstore.config` for how a URL becomes keyword arguments):

=============================  ======================================================================
``qdrant:///data/q``           embedded Qdrant engine (qdrant-edge-py), persistent, one shard per collection
``qdrant+http://host:6333``    a Qdrant server or cluster over REST (``prefer_grpc=true`` for gRPC)
``qdrant+https://host:6333``   the same over TLS; ``api_key`` for Qdrant Cloud
``qdrant+local:///data/q``     qdrant-client local mode on disk (pure Python, brute force)
``qdrant+memory://``           qdrant-client local mode in memory
=============================  ======================================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from .payload import DOCUMENT_FIELD, ID_FIELD, RESERVED_PREFIX

Engine = Literal["edge", "local", "memory", "server"]

#: Points per write request when ``batch_size`` is not set: Edge takes big batches cheaply; Qdrant's docs advise
#: 64-256 points per request for servers, and local mode commits one sqlite transaction per request.
DEFAULT_BATCH = {"edge": 1024, "local": 256, "memory": 1024, "server": 256}
DEFAULT_PORT = 6333


class QdrantConfig(BaseModel):
    """Options of the qdrant adapter; every one can be a URL query parameter or a TOML key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: From the URL scheme: ``qdrant+http`` gives ``http``; plain ``qdrant`` (no variant) is the embedded engine.
    variant: Literal["http", "https", "local", "memory"] | None = None
    #: Directory of an embedded (``qdrant://``) or local-mode (``qdrant+local://``) store.
    path: str | None = None
    host: str | None = None
    #: REST port of a server (default 6333, also for https: Qdrant Cloud serves TLS on 6333).
    port: int | None = Field(default=None, ge=1, le=65535)
    grpc_port: int = Field(default=6334, ge=1, le=65535)
    prefer_grpc: bool = False
    api_key: SecretStr | None = None
    #: Seconds a server request may take (qdrant-client's default is 5).
    timeout: int | None = Field(default=None, ge=1)
    #: Exact (brute-force) search. Default: on for the embedded engine and local mode, off for servers (HNSW).
    exact: bool | None = None
    #: HNSW ``ef`` for approximate searches (higher: better recall, slower).
    hnsw_ef: int | None = Field(default=None, ge=1)
    #: Embedded engine: flush segments to disk after every write, so writes survive an OS crash or power loss and
    #: not only a killed process (the WAL already covers that). About 3x slower writes.
    sync_writes: bool = False
    #: Points per write request; the store splits larger writes.
    batch_size: int | None = Field(default=None, ge=1, le=65536)
    #: Named vector to create collections with (default: Qdrant's unnamed vector). Existing collections with one
    #: named vector are detected automatically.
    vector_name: str | None = None
    #: Payload fields holding the original record id and the document. Defaults are reserved names; set
    #: ``id_field=__id__&document_field=document`` to open collections written by Qdrant's migration tool.
    id_field: str = ID_FIELD
    document_field: str = DOCUMENT_FIELD

    @field_validator("api_key", "vector_name", "id_field", "document_field", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        """URL query values arrive coerced (``api_key=123`` as an int); these are always text."""
        return value if value is None or isinstance(value, (str, SecretStr)) else str(value)

    @model_validator(mode="after")
    def _check(self) -> QdrantConfig:
        engine = self.engine
        if engine == "edge" and self.host:
            raise ValueError(
                f"qdrant://{self.host}... names a server; use qdrant+http://{self.host}:{self.port or DEFAULT_PORT} "
                "(qdrant:///path is the embedded engine)"
            )
        if engine in ("edge", "local") and not self.path:
            scheme = "qdrant" if engine == "edge" else "qdrant+local"
            raise ValueError(f"{scheme}:// needs a directory, e.g. {scheme}:///data/qdrant")
        if engine == "memory" and self.path:
            raise ValueError("qdrant+memory:// takes no path; use qdrant+local:///path to persist")
        if engine == "server" and not self.host:
            raise ValueError("a Qdrant server URL needs a host, e.g. qdrant+http://localhost:6333")
        if not self.id_field or not self.document_field or self.id_field == self.document_field:
            raise ValueError("id_field and document_field must be two different non-empty payload keys")
        for field in (self.id_field, self.document_field):
            if field.startswith(RESERVED_PREFIX) and field not in (ID_FIELD, DOCUMENT_FIELD):
                raise ValueError(f"payload key {field!r} is reserved for the adapter's own fields")
        return self

    @property
    def engine(self) -> Engine:
        if self.variant in ("http", "https"):
            return "server"
        if self.variant == "local":
            return "local"
        if self.variant == "memory":
            return "memory"
        return "edge"

    def local_path(self) -> Path | None:
        """The directory the embedded engine or local mode owns (one owner per directory; see vectorstore.sharing)."""
        if self.engine not in ("edge", "local") or not self.path:
            return None
        return Path(self.path).expanduser().resolve()

    def server_options(self) -> dict[str, Any]:
        """The keyword arguments of a qdrant-client (sync or async) for this server."""
        return {
            "host": self.host,
            "port": self.port or DEFAULT_PORT,
            "grpc_port": self.grpc_port,
            "prefer_grpc": self.prefer_grpc,
            "https": self.variant == "https",
            "api_key": self.api_key.get_secret_value() if self.api_key else None,
            "timeout": self.timeout,
            "check_compatibility": False,
        }

    @property
    def exact_search(self) -> bool:
        """Whether queries are exact: local mode always is; the others follow ``exact`` or their default."""
        if self.engine in ("local", "memory"):
            return True
        return self.exact if self.exact is not None else self.engine == "edge"

    @property
    def write_batch(self) -> int:
        return self.batch_size or DEFAULT_BATCH[self.engine]
