"""Run the real ``vectorstore`` CLI with one extra test adapter, ``pickled:///PATH``, then exit with its code.

The core ships no persistent adapter, yet the CLI has to be tested across processes (``ingest`` in one, ``count`` and
``query`` in the next) and a failed ``ingest`` has to be shown to have written nothing. ``pickled`` is the real memory
adapter whose state is loaded from a file when a store opens and saved when it closes; everything else (argument
parsing, file reading, validation, exit codes, output) is the installed CLI. Used as
``python cli_driver.py ARGS...``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from vectorstore import AdapterSpec, hookimpl
from vectorstore.adapters.memory import MemoryAdapter
from vectorstore.cli import main
from vectorstore.registry import registry


class PickledConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str


class PickledAdapter(MemoryAdapter):
    name = "pickled"

    def __init__(self, config: PickledConfig) -> None:
        super().__init__()
        self.file = Path(config.path)
        if self.file.exists():
            self._collections = pickle.loads(self.file.read_bytes())

    def close(self) -> None:
        self.file.write_bytes(pickle.dumps(self._collections))


class Plugin:
    @hookimpl
    def vectorstore_adapters(self) -> list[AdapterSpec]:
        return [
            AdapterSpec(
                name="pickled",
                schemes=("pickled",),
                adapter=f"{__name__}:PickledAdapter",
                config=f"{__name__}:PickledConfig",
            )
        ]


if __name__ == "__main__":
    registry().register(Plugin(), name="pickled")
    main()
