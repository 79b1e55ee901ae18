"""vectorstore: one contract over several vector databases, chosen by configuration.

>>> import vectorstore
>>> with vectorstore.open("memory://") as store:
...     docs = store.collection("docs")
"""

from .adapter import Adapter
from .batch import RecordBatch
from .errors import VectorStoreError
from .filters import Where
from .hookspecs import hookimpl
from .models import Capabilities, CollectionInfo, Match, Metric, Record, UpsertResult
from .opening import open
from .spec import AdapterSpec
from .store import Collection, VectorStore

__all__ = [
    "Adapter",
    "AdapterSpec",
    "Capabilities",
    "Collection",
    "CollectionInfo",
    "Match",
    "Metric",
    "Record",
    "RecordBatch",
    "UpsertResult",
    "VectorStore",
    "VectorStoreError",
    "Where",
    "hookimpl",
    "open",
]
