"""Find adapters: plugins under the ``vectorstore`` entry point group declare specs; URLs pick one by scheme.

Backends are imported only when a store is opened (the spec holds dotted paths), so ``vectorstore info`` stays fast
and a missing backend only fails for the user who asks for it, with the command that installs it.

A third-party plugin that fails (its module does not import, or its ``vectorstore_adapters`` hook raises) is recorded
as a :class:`PluginFailure` instead of breaking every backend: it is raised as :class:`PluginLoadError` only for the
URL scheme it would have answered (its entry point's name) or for a scheme nobody answers, and ``vectorstore info``
shows it as a warning.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Literal

import pluggy

from . import hookspecs
from .errors import AdapterNotFound, ConfigurationError, PluginLoadError
from .spec import KNOWN_ADAPTERS, AdapterSpec

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "vectorstore"

def fix_plugins(failures: tuple[PluginFailure, ...]) -> str:
    """What to do: repair or remove the distributions named (the other adapters are unaffected)."""
    distributions = sorted({failure.distribution for failure in failures if failure.distribution})
    if not distributions:
        return "fix the plugin registered in code"
    names = " ".join(distributions)
    return (f"reinstall or upgrade {names} (pip install --force-reinstall {names}) or uninstall it, "
            "and report the error to its authors")


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be imported or registered, or whose ``vectorstore_adapters`` hook raised."""

    #: The entry point's name (or the name it was registered under by hand).
    name: str
    #: What was loaded: the entry point's value, e.g. ``"brokenplugin:plugin"``, or the plugin object's repr.
    target: str
    distribution: str | None
    version: str | None
    #: ``"import"`` (loading or registering the entry point) or ``"vectorstore_adapters"`` (the hook raised).
    stage: Literal["import", "vectorstore_adapters"]
    error: Exception

    def describe(self) -> str:
        """One line naming the plugin, where it comes from and the original exception."""
        origin = f"distribution {self.distribution} {self.version}" if self.distribution else "registered in code"
        what = "failed to import" if self.stage == "import" else "raised in its vectorstore_adapters hook"
        return f"plugin {self.name!r} ({self.target}, {origin}) {what}: {type(self.error).__name__}: {self.error}"

    def as_error(self, message: str) -> PluginLoadError:
        """The error to raise (``from self.error``) when an adapter this plugin may provide is asked for."""
        return PluginLoadError(message, entry_point=self.name, distribution=self.distribution, version=self.version)


class Registry:
    """The plugin manager plus the adapters its plugins declared, and the plugins that failed."""

    def __init__(self, autoload: bool = True) -> None:
        self.plugins = pluggy.PluginManager("vectorstore")
        self.plugins.add_hookspecs(hookspecs)
        self._failures: dict[str, PluginFailure] = {}
        self._origins: dict[str, tuple[str | None, str | None]] = {}
        self._specs: dict[str, AdapterSpec] | None = None
        if autoload and not os.environ.get("VECTORSTORE_DISABLE_PLUGIN_AUTOLOAD"):
            self._load_entry_points()

    @property
    def hook(self) -> Any:
        return self.plugins.hook

    def register(self, plugin: object, name: str | None = None) -> None:
        """Add a plugin by hand (tests, applications that ship a private adapter)."""
        self.plugins.register(plugin, name=name)
        self._specs = None

    def _load_entry_points(self) -> None:
        """pluggy's ``load_setuptools_entrypoints`` loop, with each entry point loaded on its own.

        As in pluggy, the first entry point of a name wins (a distribution seen twice on ``sys.path`` loads once).
        """
        for dist in list(metadata.distributions()):
            for entry_point in dist.entry_points:
                name = entry_point.name
                if (
                    entry_point.group != ENTRY_POINT_GROUP
                    or self.plugins.has_plugin(name)
                    or self.plugins.is_blocked(name)
                    or name in self._failures
                ):
                    continue
                origin = (dist.metadata.get("Name"), dist.version)
                try:
                    self.plugins.register(entry_point.load(), name=name)
                except Exception as exc:  # any import-time error of someone else's code: ImportError, SyntaxError...
                    if self.plugins.has_plugin(name):  # pluggy < 1.7 keeps one that failed validation
                        self.plugins.unregister(name=name)
                    self._record(PluginFailure(name, entry_point.value, *origin, stage="import", error=exc))
                else:
                    self._origins[name] = origin

    def _record(self, failure: PluginFailure) -> None:
        if failure.name not in self._failures:
            log.info("%s; its adapters are unavailable, the others are not affected", failure.describe())
        self._failures[failure.name] = failure

    def _declared(self) -> list[list[AdapterSpec]]:
        """Each plugin's specs, in pluggy's call order; a hook that raises or returns something else is recorded."""
        declared: list[list[AdapterSpec]] = []
        for impl in reversed(self.hook.vectorstore_adapters.get_hookimpls()):
            try:
                specs = list(impl.function())
                wrong = next((spec for spec in specs if not isinstance(spec, AdapterSpec)), None)
                if wrong is not None:
                    raise TypeError(f"vectorstore_adapters returned {wrong!r}, not an AdapterSpec")
            except Exception as exc:
                distribution, version = self._origins.get(impl.plugin_name, (None, None))
                target = getattr(impl.plugin, "__name__", None) or repr(impl.plugin)
                self._record(PluginFailure(impl.plugin_name, target, distribution, version, "vectorstore_adapters", exc))
                continue
            declared.append(specs)
        return declared

    def adapters(self) -> dict[str, AdapterSpec]:
        """Every declared adapter by name; two plugins claiming one name or scheme is an error."""
        if self._specs is None:
            specs: dict[str, AdapterSpec] = {}
            schemes: dict[str, str] = {}
            for declared in self._declared():
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

    def failures(self) -> tuple[PluginFailure, ...]:
        """The plugins that failed, by name; complete once the adapters were collected (which this does)."""
        self.adapters()
        return tuple(self._failures[name] for name in sorted(self._failures))

    def failed(self, name: str) -> bool:
        """Whether a plugin of this name (usually its adapter's name) failed to load or to declare its adapters."""
        return any(failure.name == name for failure in self.failures())

    def for_scheme(self, scheme: str) -> AdapterSpec:
        adapters = self.adapters()
        for spec in adapters.values():
            if scheme in spec.schemes:
                return spec
        base = scheme.split("+", 1)[0]
        if base in adapters:
            known = ", ".join(f"{s}://" for s in adapters[base].schemes)
            raise AdapterNotFound(f"adapter {base!r} has no URL scheme {scheme!r}; use one of {known}")
        if base in self._failures:  # an entry point is named after the adapter it provides (chroma, qdrant, ...)
            failure = self._failures[base]
            message = f"cannot open {scheme}://: {failure.describe()}; {fix_plugins((failure,))}"
            raise failure.as_error(message) from failure.error
        if base in KNOWN_ADAPTERS:
            raise AdapterNotFound(f"{scheme}:// needs the {base} adapter, which is not installed: {KNOWN_ADAPTERS[base]}")
        known = ", ".join(f"{s}://" for spec in adapters.values() for s in spec.schemes)
        missing = [f"{name}: {hint}" for name, hint in KNOWN_ADAPTERS.items() if name not in adapters]
        more = f"; other adapters: {'; '.join(missing)}" if missing else ""
        message = f"unknown URL scheme {scheme!r}; installed adapters answer {known}{more}"
        if not self._failures:
            raise AdapterNotFound(message)
        # A plugin that failed before declaring anything may be the one that answers this scheme: say so.
        failures = self.failures()
        described = "; ".join(failure.describe() for failure in failures)
        message += f"; it may be provided by a plugin that failed: {described}; {fix_plugins(failures)}"
        raise failures[0].as_error(message) from failures[0].error


_registry: Registry | None = None
_registry_lock = threading.Lock()


def registry() -> Registry:
    """The process-wide registry, loaded on first use."""
    global _registry
    with _registry_lock:
        if _registry is None:
            _registry = Registry()
        return _registry
