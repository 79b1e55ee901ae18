"""The ``vectorstore`` command line.

Each command group lives in its own module and registers itself on :data:`app`. Exit codes: 0 ok, 1 failure,
2 usage error; errors are printed as one clear line (no traceback unless ``VECTORSTORE_DEBUG`` is set).
"""

from __future__ import annotations

from .app import app, main
from . import commands  # noqa: F401,E402  (registers the core commands)
from . import migrate  # noqa: F401,E402  (registers migrate, verify, trial, demo-migration)
from . import conformance  # noqa: F401,E402  (registers conformance)
from . import doctor  # noqa: F401,E402  (registers doctor)
from . import shadow  # noqa: F401,E402  (registers shadow status/backfill/report, cutover)

__all__ = ["app", "main"]
