"""JSON that keeps every metadata type of the contract: datetimes and dates travel as ``{"$datetime": iso}`` and
``{"$date": iso}``.

JSON already keeps ``1``, ``1.0`` and ``true`` apart; it has no time type. One spelling for the journal of a
shadowed store, records files (``vectorstore ingest``, :mod:`vectorstore.io`) and the CLI's ``--where`` options, so a
datetime written in one comes back as one from any other. No metadata value or key can collide with the two forms:
nested objects are not metadata values, and keys may not start with ``$``. Decoding runs as ``json``'s object hook
and encoding as its ``default``, so only objects and values JSON cannot spell pay a Python call, never each number
of a vector.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

DATETIME, DATE = "$datetime", "$date"


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        return {DATETIME: value.isoformat()}
    if isinstance(value, dt.date):
        return {DATE: value.isoformat()}
    raise TypeError(f"{type(value).__name__} values cannot be written as JSON")


def _hook(value: dict[str, Any]) -> Any:
    if len(value) == 1:
        if DATETIME in value:
            return dt.datetime.fromisoformat(value[DATETIME])
        if DATE in value:
            return dt.date.fromisoformat(value[DATE])
    return value


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """Parse ``text``; raises ``json.JSONDecodeError``, or ``ValueError`` for a malformed ISO time."""
    return json.loads(text, object_hook=_hook)
