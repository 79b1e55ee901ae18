"""Input rules of DESIGN 3.1, checked once in the core before any adapter is called.

Each function either returns a normalised value or raises a typed :mod:`vectorstore.errors` exception whose message
names the collection, the record id and the key, so a caller can fix the input without reading our code. Because all
checks run before the first backend call, an invalid batch writes nothing, whatever its position in the batch.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

from .batch import RecordBatch
from .errors import DimensionMismatch, DuplicateId, InvalidCollectionName, InvalidInput, InvalidRecord
from .models import DEFAULT_INCLUDE, INCLUDE_FIELDS, METRICS, Metadata, MetadataValue, Metric, Record

MAX_ID_LENGTH = 1024
#: Characters of a metadata key. No backend we run limits it (Chroma and Qdrant stored and filtered a 1,000,000-character
#: key); it is a field name, repeated in every record, every filter, every error message and in the reserved fields the
#: adapters derive from it. 256 holds any real field name; Chroma Cloud's own limit is 36 bytes.
MAX_KEY_LENGTH = 256
MAX_SAFE_INT = 2**53
RESERVED_PREFIX = "_vs_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$")
_SCALAR_TYPES: tuple[type, ...] = (bool, int, float, str, dt.datetime, dt.date)
#: The value kinds of DESIGN 3.3: values of different kinds never equal or order each other (``1 == 1.0``: one kind).
#: A date and a datetime are different kinds, as in Python, where ``date < datetime`` is a ``TypeError``.
KINDS: dict[type, str] = {bool: "bool", int: "number", float: "number", str: "str", dt.datetime: "datetime", dt.date: "date"}
#: Kinds that ranges order.
ORDERED_KINDS = frozenset({"number", "datetime", "date"})
#: What the store does with a ``None`` metadata value (``StoreSettings.none_values``).
NoneValues = Literal["drop", "refuse"]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MICROSECOND = dt.timedelta(microseconds=1)
#: Bounded repr for messages: a value nested thousands of levels deep must not hit the recursion limit while we
#: describe why it was refused.
_REPR = reprlib.Repr()  # keyword arguments need Python 3.12
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60


def describe(value: Any) -> str:
    """A short ``type 'value'`` description for error messages."""
    text = _REPR.repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def collection_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidCollectionName(
            f"invalid collection name {name!r}: use 3-63 characters of letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit",
            collection=name,
        )
    return name


def metric(value: Any) -> Metric:
    if value not in METRICS:
        raise InvalidInput(f"unknown metric {value!r}: use one of {', '.join(METRICS)}")
    return value  # type: ignore[no-any-return]


def dimension(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65536:
        raise InvalidInput(f"invalid dimension {value!r}: expected an int between 1 and 65536")
    return value


def k(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidInput(f"invalid k {value!r}: expected an int >= 1")
    return int(value)


def batch_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"invalid batch_size {value!r}: expected an int >= 1")
    return value


def include(value: Iterable[str] | None) -> frozenset[str]:
    if value is None:
        return DEFAULT_INCLUDE
    if isinstance(value, str):
        value = [value]
    try:
        fields = frozenset(value)
    except TypeError:  # not iterable, or holds unhashable items
        raise InvalidInput(
            f"include must be a list of field names from {sorted(INCLUDE_FIELDS)}, got {describe(value)}"
        ) from None
    unknown = fields - INCLUDE_FIELDS
    if unknown:
        raise InvalidInput(f"unknown include field(s) {sorted(unknown)}: use any of {sorted(INCLUDE_FIELDS)}")
    return fields


def record_id(value: Any, collection: str) -> str:
    if not isinstance(value, str):
        raise InvalidRecord(
            f"collection {collection!r}: record id {describe(value)} is not a str; convert ids to strings",
            collection=collection,
        )
    if not value:
        raise InvalidRecord(f"collection {collection!r}: record id is empty", collection=collection)
    if len(value) > MAX_ID_LENGTH:
        raise InvalidRecord(
            f"collection {collection!r}: record id {value[:40]!r}... has {len(value)} characters, "
            f"at most {MAX_ID_LENGTH} are allowed",
            collection=collection,
            record_id=value,
        )
    return value


def ids(values: Any, collection: str, *, unique: bool = True) -> list[str]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidInput(f"collection {collection!r}: ids must be a list of str, got {describe(values)}")
    result = [record_id(value, collection) for value in values]
    if unique and len(set(result)) != len(result):
        seen: set[str] = set()
        duplicate = next(i for i in result if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise DuplicateId(
            f"collection {collection!r}: record id {duplicate!r} appears more than once in one call",
            collection=collection,
            record_id=duplicate,
        )
    return result


def _as_matrix(vectors: Any, what: str, collection: str) -> np.ndarray:
    try:
        array = np.asarray(vectors)
    except (ValueError, TypeError) as exc:  # ragged lists
        raise InvalidRecord(f"collection {collection!r}: {what} are not a rectangular array of numbers ({exc})") from None
    if array.dtype.kind not in "iuf":
        if array.dtype == object and array.ndim == 1 and len(array) and all(np.ndim(v) == 1 for v in array):
            lengths = sorted({len(v) for v in array})
            raise DimensionMismatch(
                f"collection {collection!r}: {what} have different lengths {lengths[:5]}",
                collection=collection,
            )
        raise InvalidRecord(
            f"collection {collection!r}: {what} must hold numbers, got dtype {array.dtype}", collection=collection
        )
    return array


def _bad_row(values: Any, record_ids: Sequence[str], dim: int, collection: str) -> InvalidInput | None:
    """The error naming the first record whose vector is not ``dim`` numbers; only run once numpy refused the batch."""
    if isinstance(values, np.ndarray) and values.dtype != object:
        return None
    try:
        rows = list(values)
    except TypeError:
        return None
    for record, row in zip(record_ids, rows):
        where = f"collection {collection!r}: record {record!r}"
        try:
            array = np.asarray(row)
        except (ValueError, TypeError):
            array = np.asarray(None)
        if array.ndim != 1 or array.dtype.kind not in "iuf":
            return InvalidRecord(
                f"{where} has a vector that is not a list of numbers: {describe(row)}",
                collection=collection,
                record_id=record,
            )
        if len(array) != dim:
            return DimensionMismatch(
                f"{where} has a vector of dimension {len(array)}, the collection's dimension is {dim}",
                collection=collection,
                record_id=record,
            )
    return None


def vectors(values: Any, record_ids: Sequence[str], dim: int, collection: str) -> np.ndarray:
    try:
        array = _as_matrix(values, "vectors", collection)
    except InvalidInput as exc:
        raise (_bad_row(values, record_ids, dim, collection) or exc) from None
    if array.ndim != 2 or array.shape[0] != len(record_ids):
        raise InvalidInput(
            f"collection {collection!r}: expected {len(record_ids)} vectors of dimension {dim} as a 2-D array, "
            f"got shape {array.shape}",
            collection=collection,
        )
    if array.shape[1] != dim:
        raise DimensionMismatch(
            f"collection {collection!r}: record {record_ids[0]!r} has a vector of dimension {array.shape[1]}, "
            f"the collection's dimension is {dim}",
            collection=collection,
            record_id=record_ids[0] if record_ids else None,
        )
    with np.errstate(over="ignore", invalid="ignore"):
        result = np.ascontiguousarray(array, dtype=np.float32)
    finite = np.isfinite(result).all(axis=1)
    if not finite.all():
        bad = int(np.argmin(finite))
        raise InvalidRecord(
            f"collection {collection!r}: record {record_ids[bad]!r} has a NaN or infinite vector value "
            "(or one beyond float32 range)",
            collection=collection,
            record_id=record_ids[bad],
        )
    return result


def query_vectors(values: Any, dim: int, collection: str, *, single: bool) -> np.ndarray:
    if (  # one float32 row as embedders hand it over: the common case, checked with the fewest numpy calls
        single
        and type(values) is np.ndarray
        and values.dtype == np.float32
        and values.shape == (dim,)
        and values.flags.c_contiguous
    ):
        if not np.isfinite(values).all():
            raise InvalidInput(f"collection {collection!r}: query vector has a NaN or infinite value")
        return values.reshape(1, dim)
    array = _as_matrix(values, "query vector" if single else "query vectors", collection)
    expected = 1 if single else 2
    if array.ndim != expected:
        shape = "a 1-D vector" if single else "a 2-D array (one row per query)"
        raise InvalidInput(f"collection {collection!r}: expected {shape}, got shape {array.shape}")
    matrix = array.reshape(1, -1) if single else array
    if matrix.shape[1] != dim:
        raise DimensionMismatch(
            f"collection {collection!r}: query vector has dimension {matrix.shape[1]}, the collection's is {dim}",
            collection=collection,
        )
    if matrix.dtype == np.float32 and matrix.flags.c_contiguous:  # what embedders hand us: used as it is
        result = matrix
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            result = np.ascontiguousarray(matrix, dtype=np.float32)
    if not np.isfinite(result).all():
        raise InvalidInput(f"collection {collection!r}: query vector has a NaN or infinite value")
    return result


def documents(values: Any, record_ids: Sequence[str], collection: str) -> list[str | None]:
    if values is None:
        return [None] * len(record_ids)
    if isinstance(values, str) or not isinstance(values, Sequence) or len(values) != len(record_ids):
        raise InvalidInput(
            f"collection {collection!r}: documents must be a list with one entry per id ({len(record_ids)})"
        )
    for record, document in zip(record_ids, values):
        if document is not None and type(document) is not str:
            raise InvalidRecord(
                f"collection {collection!r}: record {record!r} has a document of type {type(document).__name__}; "
                "expected str or None",
                collection=collection,
                record_id=record,
            )
    return list(values)


def metadata_key(key: Any, where: str) -> str:
    """Check one metadata key; ``where`` says where it was found, for the message."""
    if not isinstance(key, str) or not key:
        raise InvalidRecord(f"{where}: metadata key {_REPR.repr(key)} must be a non-empty str")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidRecord(
            f"{where}: metadata key {key[:40]!r}... has {len(key)} characters, at most {MAX_KEY_LENGTH} are allowed "
            "(the limit); use a shorter field name"
        )
    if key[0] in "$#" or key.startswith(RESERVED_PREFIX):
        raise InvalidRecord(
            f"{where}: metadata key {key!r} is reserved (keys may not start with '$', '#' or {RESERVED_PREFIX!r})"
        )
    return key


def kind(value: Any) -> str:
    """The kind of a scalar (``bool``, ``number``, ``str``, ``datetime``, ``date``), ``other`` for anything else."""
    return KINDS.get(type(value), "other")


def epoch_microseconds(value: dt.datetime) -> int:
    """An aware datetime as whole microseconds since 1970-01-01 UTC (exact: no float in between)."""
    return (value - EPOCH) // _MICROSECOND


def from_epoch_microseconds(value: int) -> dt.datetime:
    """The inverse of :func:`epoch_microseconds`, in UTC."""
    return EPOCH + dt.timedelta(microseconds=value)


def _datetime_problem(value: dt.datetime) -> str | None:
    if value.utcoffset() is None:
        return (
            f"datetime {value.isoformat()} has no timezone, so it names no instant; attach one, e.g. "
            "value.replace(tzinfo=datetime.timezone.utc), or build it with datetime.now(datetime.timezone.utc)"
        )
    try:
        micros = epoch_microseconds(value)
    except OverflowError:  # within a day of datetime.min/max, its UTC form does not exist
        micros = MAX_SAFE_INT + 1
    if abs(micros) > MAX_SAFE_INT:
        return (
            f"datetime {value.isoformat()} is more than 2**53 microseconds from 1970 (outside about 1684-09-17 to "
            "2255-06-05 UTC), which not every backend compares exactly; store it as a str, or a date"
        )
    return None


def scalar_problem(value: Any) -> str | None:
    """Why ``value`` is not an allowed scalar (None when it is). Exact types only: numpy scalars are rejected."""
    kind = type(value)
    if kind not in _SCALAR_TYPES:
        return f"expected str, int, float, bool, datetime or date, got {describe(value)}"
    if kind is int and abs(value) > MAX_SAFE_INT:
        return f"int {value} is beyond +/-2**53 and would lose precision; store it as a str"
    if kind is float and not math.isfinite(value):
        return f"float {value} is not finite"
    if kind is dt.datetime:
        return _datetime_problem(value)
    return None


def utc(value: Any) -> Any:
    """``value`` with an aware datetime converted to UTC (how every backend gives datetimes back); others as given."""
    if type(value) is dt.datetime and value.tzinfo is not dt.timezone.utc:
        return value.astimezone(dt.timezone.utc)
    return value


def _value(value: Any) -> tuple[MetadataValue, str | None]:
    if type(value) is list:
        if not value:
            return value, "an empty list is not allowed"
        first = type(value[0])
        for element in value:
            if type(element) in (dt.datetime, dt.date):
                return value, (
                    f"list element {describe(element)}: lists of datetimes or dates are not supported (no backend "
                    "filters their elements exactly); store them under separate keys, or as ISO-8601 strings"
                )
            problem = scalar_problem(element)
            if problem:
                return value, f"list element: {problem}"
            if type(element) is not first:
                return value, f"mixed list of {first.__name__} and {type(element).__name__}; use one type"
        return list(value), None
    problem = scalar_problem(value)
    return (value if problem else utc(value)), problem


def metadata(value: Any, record: str, collection: str, none_values: NoneValues = "drop") -> Metadata:
    """The private copy of one record's metadata that adapters get: checked, datetimes in UTC, ``None`` values
    dropped (``none_values="drop"``: a ``None`` value means "no value") or refused (``"refuse"``)."""
    where = f"collection {collection!r}, record {record!r}"
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRecord(f"{where}: metadata must be a dict, got {describe(value)}", collection=collection, record_id=record)
    result: Metadata = {}
    for key, raw in value.items():
        try:
            metadata_key(key, where)
        except InvalidRecord as exc:
            raise InvalidRecord(str(exc), collection=collection, record_id=record, key=key) from None
        if raw is None and none_values == "drop":
            continue
        clean, problem = _value(raw)
        if raw is None:
            problem = (
                "None is refused by this store (none_values='refuse'); leave the key out for no value, or open the "
                "store with none_values='drop'"
            )
        if problem:
            raise InvalidRecord(
                f"{where}, metadata key {key!r}: {problem}", collection=collection, record_id=record, key=key
            )
        result[key] = clean
    return result


def batch(
    collection: str,
    dim: int,
    record_ids: Any,
    vector_values: Any,
    document_values: Any = None,
    metadata_values: Any = None,
    none_values: NoneValues = "drop",
) -> RecordBatch:
    """Validate a whole write; nothing reaches a backend unless every record passes."""
    clean_ids = ids(record_ids, collection)
    if not clean_ids:
        raise InvalidInput(f"collection {collection!r}: nothing to write (ids is empty)")
    clean_vectors = vectors(vector_values, clean_ids, dim, collection)
    clean_documents = documents(document_values, clean_ids, collection)
    if metadata_values is None:
        clean_metadatas: list[Metadata] = [{} for _ in clean_ids]
    else:
        if isinstance(metadata_values, Mapping) or not isinstance(metadata_values, Sequence):
            raise InvalidInput(f"collection {collection!r}: metadatas must be a list with one entry per id")
        if len(metadata_values) != len(clean_ids):
            raise InvalidInput(
                f"collection {collection!r}: got {len(metadata_values)} metadatas for {len(clean_ids)} ids"
            )
        clean_metadatas = [metadata(m, i, collection, none_values) for i, m in zip(clean_ids, metadata_values)]
    return RecordBatch(clean_ids, clean_vectors, clean_documents, clean_metadatas)


def record_batch(collection: str, dim: int, value: RecordBatch, none_values: NoneValues = "drop") -> RecordBatch:
    """Validate a write given as a :class:`RecordBatch` (a scan's batch, a file read with :mod:`vectorstore.io`).

    Its columns go through the same rules as loose columns; a float32 C-contiguous vector column is checked in
    place (never converted to lists, not copied), absent documents and metadata become ``None`` and ``{}``.
    """
    if value.vectors is None:
        raise InvalidInput(
            f"collection {collection!r}: the batch to write has no vectors; read it with include=['vector', ...]"
        )
    return batch(collection, dim, value.ids, value.vectors, value.documents, value.metadatas, none_values)


def records_to_columns(records: Iterable[Record | Mapping[str, Any]]) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Turn the convenience ``records=[...]`` form into columns; :func:`batch` validates them afterwards.

    Mappings are read key by key rather than through the pydantic model so that bad values reach our own checks and
    get our typed errors instead of a pydantic ``ValidationError``.
    """
    columns: tuple[list[Any], list[Any], list[Any], list[Any]] = ([], [], [], [])
    for item in records:
        if isinstance(item, Record):
            values = (item.id, item.vector, item.document, item.metadata)
        elif isinstance(item, Mapping):
            values = (item.get("id"), item.get("vector"), item.get("document"), item.get("metadata"))
        else:
            raise InvalidInput(f"records must be Record objects or dicts, got {describe(item)}")
        if values[1] is None:
            raise InvalidRecord(f"record {values[0]!r} has no vector", record_id=values[0])
        for column, value in zip(columns, values):
            column.append(value)
    return columns
