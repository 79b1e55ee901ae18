"""Open the chromadb client a :class:`ChromaConfig` asks for, and release everything it holds on close.

Telemetry is off (it would try the network). Persistent stores take the directory lock *before* Chroma opens the
directory, and set whether Chroma purges its write-ahead log (``recovery``, :mod:`.wal`) before any write. Ephemeral clients in one process share one Chroma "system", so each ``chroma+memory://`` store gets a
private database that is dropped on close.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import chromadb
from chromadb.api import ClientAPI
from chromadb.config import Settings

from vectorstore.toolkit import DirectoryLock, native_errors

from . import wal
from .config import DEFAULT_TENANT, ChromaConfig
from .errors import classify


@dataclass
class Opened:
    client: ClientAPI
    close: Callable[[], None]
    description: str


def _settings() -> Settings:
    return Settings(anonymized_telemetry=False)


def open_client(config: ChromaConfig) -> Opened:
    with native_errors(classify, "open"):
        if config.kind == "persistent":
            return _persistent(config)
        if config.kind == "memory":
            return _memory()
        return _http(config)


def _persistent(config: ChromaConfig) -> Opened:
    directory = config.directory
    # Chroma takes no lock, and two clients on one path silently lose index entries (backends.md 0.2).
    lock = DirectoryLock(directory, "Chroma")
    lock.acquire()
    try:
        client = chromadb.PersistentClient(
            path=str(directory), settings=_settings(), tenant=config.tenant, database=config.database
        )
        try:
            with wal.connect(directory, write=True) as connection:  # Chroma wrote its config row while opening
                wal.set_purge(connection, purge=not config.recovery)
        except BaseException:
            client.close()
            raise
    except BaseException:
        lock.release()
        raise

    def close() -> None:
        try:
            client.close()  # stops Chroma's system for this path (the last reference), so a reopen starts clean
        finally:
            lock.release()

    return Opened(client, close, str(directory))


def _memory() -> Opened:
    database = f"vectorstore_{uuid.uuid4().hex}"
    # chromadb's AdminClient has no close(); it holds a reference to the process-wide ephemeral system, which lives
    # as long as the process anyway.
    admin = chromadb.AdminClient(_settings())
    admin.create_database(database, tenant=DEFAULT_TENANT)
    client = chromadb.EphemeralClient(settings=_settings(), tenant=DEFAULT_TENANT, database=database)

    def close() -> None:
        try:
            admin.delete_database(database, tenant=DEFAULT_TENANT)
        finally:
            client.close()

    return Opened(client, close, f"memory database {database}")


def _http(config: ChromaConfig) -> Opened:
    secure = config.variant == "https"
    port = config.port or (443 if secure else 8000)
    client = chromadb.HttpClient(
        host=config.host or "localhost",
        port=port,
        ssl=secure,
        headers=config.headers(),
        settings=_settings(),
        tenant=config.tenant,
        database=config.database,
    )
    return Opened(client, client.close, f"{'https' if secure else 'http'}://{config.host}:{port}")
