"""Find adapters: plugins under the ``vectorstore`` entry point group declare specs; URLs pick one by scheme.

Backends are imported only when a store is opened (the spec holds dotted paths), so ``vectorstore info`` stays fast
and a missing backend only fails for the user who asks for it, with the command that installs it.
"""

from __future__ import annotations

import importlib
import os
import threading
from importlib import metadata
from typing import Any, Literal

import pluggy
from pydantic import BaseModel, ConfigDict

from . import hookspecs
from .errors import AdapterNotFound, ConfigurationError

ENTRY_POINT_GROUP = "vectorstore"

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


class Registry:
    """The plugin manager plus the adapters its plugins declared."""

    def __init__(self, autoload: bool = True) -> None:
        self.plugins = pluggy.PluginManager("vectorstore")
        self.plugins.add_hookspecs(hookspecs)
        if autoload and not os.environ.get("VECTORSTORE_DISABLE_PLUGIN_AUTOLOAD"):
            self.plugins.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        self._specs: dict[str, AdapterSpec] | None = None

    @property
    def hook(self) -> Any:
        return self.plugins.hook

    def register(self, plugin: object, name: str | None = None) -> None:
        """Add a plugin by hand (tests, applications that ship a private adapter)."""
        self.plugins.register(plugin, name=name)
        self._specs = None

    def adapters(self) -> dict[str, AdapterSpec]:
        """Every declared adapter by name; two plugins claiming one name or scheme is an error."""
        if self._specs is None:
            specs: dict[str, AdapterSpec] = {}
            schemes: dict[str, str] = {}
            for declared in self.hook.vectorstore_adapters():
                for spec in declared:
                    if spec.name in specs:
                        raise ConfigurationError(f"two plugins declare the adapter {spec.name!r}")
                    for scheme in spec.schemes:
                        if scheme in schemes:
                            raise ConfigurationError(
                                f"scheme {scheme!r} is claimed by adapters {schemes[scheme]!r} and {spec.name!r}"
                            )
                        schemes[scheme] = spec.name
                    specs[spec.name] = spec
            self._specs = dict(sorted(specs.items()))
        return self._specs

    def for_scheme(self, scheme: str) -> AdapterSpec:
        for spec in self.adapters().values():
            if scheme in spec.schemes:
                return spec
        base = scheme.split("+", 1)[0]
        if base in self.adapters():
            known = ", ".join(f"{s}://" for s in self.adapters()[base].schemes)
            raise AdapterNotFound(f"adapter {base!r} has no URL scheme {scheme!r}; use one of {known}")
        if base in KNOWN_ADAPTERS:
            raise AdapterNotFound(f"{scheme}:// needs the {base} adapter, which is not installed: {KNOWN_ADAPTERS[base]}")
        known = ", ".join(f"{s}://" for spec in self.adapters().values() for s in spec.schemes)
        missing = [f"{name}: {hint}" for name, hint in KNOWN_ADAPTERS.items() if name not in self.adapters()]
        more = f"; other adapters: {'; '.join(missing)}" if missing else ""
        raise AdapterNotFound(f"unknown URL scheme {scheme!r}; installed adapters answer {known}{more}")


_registry: Registry | None = None
_registry_lock = threading.Lock()


def registry() -> Registry:
    """The process-wide registry, loaded on first use."""
    global _registry
    with _registry_lock:
        if _registry is None:
            _registry = Registry()
        return _registry
