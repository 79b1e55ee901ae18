"""Live migration: a shadowed store, its durable journal, mirrored reads, backfill, status and cutover.

A configuration with a ``shadow`` key (:mod:`.settings`) makes :func:`vectorstore.open` return a
:class:`~vectorstore.shadow.store.ShadowedStore`: the application keeps calling the same API, the primary answers,
every acknowledged write reaches the shadow through the journal (:mod:`.journal`, :mod:`.applier`), and a sample of
reads is compared like ``vectorstore trial`` does (:mod:`.mirror`, :mod:`.agreement`). See docs/migration.md.

This package module stays light (the configuration imports it); the store itself is imported when opened.
"""

from .settings import ShadowSettings, default_journal

__all__ = ["ShadowSettings", "default_journal"]
