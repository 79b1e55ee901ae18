"""Make the test adapters (``picklefile``, ``broken``) visible to this process and to child processes.

Children are fresh interpreters that find adapters through entry points, so we write a minimal dist-info declaring
the adapter's plugin module and put it, with this directory, on ``PYTHONPATH``. In this process the plugins are
registered by hand into the global registry (once; they stay registered, under names no other test uses).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from vectorstore.registry import registry

HERE = Path(__file__).resolve().parent
#: adapter name -> plugin module in this directory.
PLUGINS = {"picklefile": "picklefile_adapter", "broken": "broken_adapters"}


@pytest.fixture(scope="module", autouse=True)
def registered_test_adapters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Per module, so that ``PYTHONPATH`` is restored before other directories' tests spawn processes."""
    site = tmp_path_factory.mktemp("site")
    info = site / "vsc_test_adapters-0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vsc-test-adapters\nVersion: 0.0\n")
    entry_points = "".join(f"{name} = {module}\n" for name, module in PLUGINS.items())
    (info / "entry_points.txt").write_text(f"[vectorstore]\n{entry_points}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join([str(site), str(HERE), os.environ.get("PYTHONPATH", "")]))
        patch.syspath_prepend(str(HERE))
        for name, module in PLUGINS.items():
            if name not in registry().adapters():
                registry().register(importlib.import_module(module), name=name)
        yield
