"""What plugins and the core exchange: an adapter's :class:`AdapterSpec` and a listener's :class:`Event`.

A leaf module (it imports only the errors): the hook specifications, the registry and the event broadcaster all
import it, and none of them imports another in return.
"""

from __future__ import annotations

import importlib
import time
from importlib import metadata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import AdapterNotFound, ConfigurationError

#: Adapters we know of, for install hints when their package is missing (kept sorted).
KNOWN_ADAPTERS: dict[str, str] = {
    "chroma": "pip install vectorstore-chroma   (from a clone: pip install -e adapters/chroma)",
    "qdrant": "pip install vectorstore-qdrant   (from a clone: pip install -e adapters/qdrant)",
}


class AdapterSpec(BaseModel):
    """What a plugin declares about one adapter."""

    model_config = ConfigDict(frozen=True)

    name: str
    #: URL schemes this adapter answers, e.g. ``("chroma", "chroma+http", "chroma+https", "chroma+memory")``.
    schemes: tuple[str, ...]
    #: ``"package.module:Class"`` of the :class:`~vectorstore.adapter.Adapter` subclass.
    adapter: str
    #: ``"package.module:Model"`` of its pydantic configuration model.
    config: str
    default_isolation: Literal["none", "process"] = "none"
    description: str = ""
    #: The distribution to report the version of in ``vectorstore info``.
    distribution: str | None = None

    def load_adapter(self) -> type[Any]:
        return _load(self.adapter, self.name)

    def load_config(self) -> type[BaseModel]:
        return _load(self.config, self.name)  # type: ignore[no-any-return]

    def version(self) -> str | None:
        try:
            return metadata.version(self.distribution) if self.distribution else None
        except metadata.PackageNotFoundError:
            return None


def _load(path: str, name: str) -> Any:
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = KNOWN_ADAPTERS.get(name, f"install the package that provides {module_name}")
        raise AdapterNotFound(f"adapter {name!r} could not be imported ({exc}); {hint}", adapter=name) from exc
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ConfigurationError(
            f"adapter {name!r} declares {path!r}, but {module_name} has no {attribute!r}; "
            "the plugin's AdapterSpec is wrong (report it to its authors)",
            adapter=name,
        ) from None


class Event(BaseModel):
    """Something that happened to a store: ``kind`` is e.g. ``worker_start``, ``worker_crash``, ``circuit_open``."""

    model_config = ConfigDict(frozen=True)

    kind: str
    store: str
    detail: dict[str, Any] = Field(default_factory=dict)
    time: float = Field(default_factory=time.time)
