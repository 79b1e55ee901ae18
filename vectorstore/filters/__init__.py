"""The filter language: parse a ``where``/``document`` dict into a typed tree, and evaluate it (the reference)."""

from .evaluate import matches
from .parse import Where, parse_document, parse_filter, parse_where
from .tree import And, Condition, DocumentContains, Node, Not, Or, conjoin, operators, walk

__all__ = [
    "And",
    "Condition",
    "DocumentContains",
    "Node",
    "Not",
    "Or",
    "Where",
    "conjoin",
    "matches",
    "operators",
    "parse_document",
    "parse_filter",
    "parse_where",
    "walk",
]
