"""``Match.trusted``: the cheap constructor of the query path gives what ``model_construct`` gives."""

from __future__ import annotations

import copy
import pickle

import pytest

from vectorstore.models import Match


@pytest.mark.parametrize(
    "values",
    [
        {"id": "a", "score": 0.5, "distance": 0.5, "vector": None, "document": None, "metadata": None},
        {"id": "b", "score": -1.0, "distance": 1.0, "vector": [0.0, 1.5], "document": "", "metadata": {"k": [1]}},
    ],
)
def test_trusted_equals_model_construct(values: dict) -> None:
    trusted, constructed = Match.trusted(**values), Match.model_construct(**values)
    assert trusted == constructed
    assert trusted.model_fields_set == constructed.model_fields_set
    assert list(trusted.__dict__) == list(constructed.__dict__)  # field order, as repr and model_dump show it
    assert (trusted.__pydantic_extra__, trusted.__pydantic_private__) == (
        constructed.__pydantic_extra__,
        constructed.__pydantic_private__,
    )
    assert trusted.model_dump() == constructed.model_dump() and repr(trusted) == repr(constructed)
    assert pickle.loads(pickle.dumps(trusted)) == constructed == copy.deepcopy(trusted)


def test_trusted_matches_keep_their_own_fields_set() -> None:
    first = Match.trusted("a", 1.0, 0.0, None, None, None)
    second = Match.trusted("b", 1.0, 0.0, None, None, None)
    first.model_fields_set.discard("vector")
    assert "vector" in second.model_fields_set
