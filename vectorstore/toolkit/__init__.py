"""The adapter toolkit: the machinery every adapter needs, written once in the core (no backend imports).

- :class:`DirectoryLock`: one owner per store directory (:mod:`.locking`);
- :class:`FilterVisitor`: walk a filter tree, unknown nodes refused with ``UnsupportedFilter`` (:mod:`.visiting`);
- :class:`native_errors` and :func:`translated`: native exceptions become ``VectorStoreError``\\ s with the native one
  as ``__cause__`` (:mod:`.native`).
"""

from .locking import LOCK_FILE, DirectoryLock
from .native import Classify, Classifying, native_errors, translated
from .visiting import FilterVisitor

__all__ = [
    "LOCK_FILE",
    "Classify",
    "Classifying",
    "DirectoryLock",
    "FilterVisitor",
    "native_errors",
    "translated",
]
