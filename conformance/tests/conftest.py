"""Make the test adapters (``picklefile``, ``broken``) visible to this process and to child processes.

``picklefile`` is the suite's example adapter (:mod:`vectorstore_conformance.examples.picklefile`); ``broken`` is the
bug catalogue in this directory (:mod:`broken_adapters`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from vectorstore_conformance.registration import visible_plugins

HERE = Path(__file__).resolve().parent
#: adapter name -> plugin module.
PLUGINS = {"picklefile": "vectorstore_conformance.examples.picklefile", "broken": "broken_adapters"}


@pytest.fixture(scope="module", autouse=True)
def registered_test_adapters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Per module, so that ``PYTHONPATH`` is restored before other directories' tests spawn processes."""
    with visible_plugins(tmp_path_factory.mktemp("site"), PLUGINS, [HERE]):
        yield
