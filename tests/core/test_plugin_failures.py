"""A broken third-party plugin fails only for the scheme it would answer; every other backend still opens.

The broken plugins are a real (fake) distribution, ``brokenplugin 0.1``, written to a temporary directory that is put
on ``sys.path``: ``importlib.metadata`` finds its ``.dist-info`` and its entry points exactly as it finds an installed
wheel's. Each test builds a fresh :class:`Registry` (or runs a subprocess), so the session's registry never sees it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pluggy import PluginValidationError

import vectorstore
from vectorstore import registry as registry_module
from vectorstore.config import resolve
from vectorstore.errors import AdapterNotFound, PluginLoadError
from vectorstore.registry import ENTRY_POINT_GROUP, Registry

from .probe import Plugin

HOOK = "from vectorstore import hookimpl\n\n@hookimpl\ndef vectorstore_adapters({args}):\n    {body}\n"

#: entry point name -> (module source, entry point attribute or "", the exception the registry must keep).
BROKEN: dict[str, tuple[str, str, type[Exception]]] = {
    "importerror": ("import vectorstore_backend_that_is_not_installed\n", "", ModuleNotFoundError),
    "syntaxerror": ("def broken(:\n    pass\n", "", SyntaxError),
    "raises": ("raise RuntimeError('plugin bug at import time')\n", "", RuntimeError),
    "noattribute": ("VALUE = 1\n", "plugin", AttributeError),
    "badhookimpl": (HOOK.format(args="bogus", body="return []"), "", PluginValidationError),
    "hookraises": (HOOK.format(args="", body="raise RuntimeError('plugin bug in its hook')"), "", RuntimeError),
    "hookreturns": (HOOK.format(args="", body="return ['not a spec']"), "", TypeError),
}


def write_distribution(root: Path, entry_points: dict[str, tuple[str, str, type[Exception]]]) -> None:
    """``root/brokenplugin-0.1.dist-info`` declaring one module per entry point, each broken its own way."""
    info = root / "brokenplugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: brokenplugin\nVersion: 0.1\n", encoding="utf-8")
    lines = [f"[{ENTRY_POINT_GROUP}]"]
    for name, (source, attribute, _) in entry_points.items():
        (root / f"brokenplugin_{name}.py").write_text(source, encoding="utf-8")
        lines.append(f"{name} = brokenplugin_{name}" + (f":{attribute}" if attribute else ""))
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every broken plugin of :data:`BROKEN` installed on ``sys.path`` for this test only."""
    root = tmp_path / "site"
    root.mkdir()
    write_distribution(root, BROKEN)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delenv("VECTORSTORE_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    yield root
    for name in [name for name in sys.modules if name.startswith("brokenplugin_")]:
        del sys.modules[name]  # the modules that did import; the others were never added


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_plugin_fails_only_for_its_own_scheme(broken: Path, name: str) -> None:
    registry = Registry()
    assert registry.for_scheme("memory").name == "memory"  # the others load and open
    with pytest.raises(PluginLoadError) as caught:
        registry.for_scheme(f"{name}+http")
    error, expected = caught.value, BROKEN[name][2]
    assert (error.entry_point, error.distribution, error.version) == (name, "brokenplugin", "0.1")
    assert type(error.__cause__) is expected
    message = str(error)
    assert f"{name}+http://" in message and f"plugin {name!r}" in message and "brokenplugin 0.1" in message
    assert expected.__name__ in message and "pip install --force-reinstall brokenplugin" in message
    assert message.startswith(f"cannot open {name}+http://: plugin {name!r}")


def test_failures_are_recorded_with_their_stage(broken: Path) -> None:
    registry = Registry()
    failures = {failure.name: failure for failure in registry.failures()}
    assert sorted(failures) == sorted(BROKEN)
    assert {name for name, failure in failures.items() if failure.stage == "vectorstore_adapters"} == {
        "hookraises",
        "hookreturns",
    }
    assert all(type(failure.error) is BROKEN[name][2] for name, failure in failures.items())
    assert failures["noattribute"].target == "brokenplugin_noattribute:plugin"
    assert not registry.plugins.has_plugin("badhookimpl")  # not left half-registered by pluggy


def test_an_unknown_scheme_names_every_plugin_that_failed(broken: Path) -> None:
    """A plugin that failed before declaring may be the one that answers the scheme: the user is told."""
    with pytest.raises(PluginLoadError) as caught:
        Registry().for_scheme("lance")
    message = str(caught.value)
    assert "unknown URL scheme 'lance'" in message and "memory://" in message
    assert all(f"plugin {name!r}" in message for name in BROKEN)
    assert isinstance(caught.value, AdapterNotFound) and caught.value.__cause__ is not None


def test_without_failures_an_unknown_scheme_is_plain_adapter_not_found() -> None:
    with pytest.raises(AdapterNotFound) as caught:
        Registry().for_scheme("lance")
    assert type(caught.value) is AdapterNotFound and caught.value.__cause__ is None


def test_memory_and_qdrant_still_open(broken: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("vectorstore_qdrant", reason="the qdrant adapter is not installed (pip install -e adapters/qdrant)")
    monkeypatch.setattr(registry_module, "_registry", Registry())
    for url in ("memory://", f"qdrant://{tmp_path / 'qdrant'}"):
        with vectorstore.open(url) as store:
            store.create_collection("docs", dimension=2)
            store.upsert("docs", ["a", "b"], np.eye(2, dtype=np.float32))
            assert [match.id for match in store.search("docs", [0.0, 1.0], k=1)] == ["b"], url
    with pytest.raises(PluginLoadError, match="'raises'"):
        vectorstore.open("raises://")


def test_a_broken_qdrant_plugin_is_not_replaced_by_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    """The embedded default is Qdrant: if its plugin is broken, say so rather than store the data in memory."""
    root = tmp_path / "site"
    root.mkdir()
    write_distribution(root, {"qdrant": BROKEN["raises"]})
    monkeypatch.syspath_prepend(str(root))  # first on sys.path: its 'qdrant' entry point wins, as pluggy's would
    monkeypatch.setattr(registry_module, "_registry", Registry())
    with pytest.raises(PluginLoadError, match="qdrant://") as caught:
        resolve()
    assert caught.value.entry_point == "qdrant" and isinstance(caught.value.__cause__, RuntimeError)


def test_a_plugin_registered_in_code_whose_hook_raises() -> None:
    class Raising:
        @vectorstore.hookimpl
        def vectorstore_adapters(self) -> list[vectorstore.AdapterSpec]:
            raise RuntimeError("private plugin bug")

    registry = Registry(autoload=False)
    registry.register(Raising(), name="private")
    registry.register(Plugin(), name="probe")
    assert list(registry.adapters()) == ["probe"]
    (failure,) = registry.failures()
    assert (failure.name, failure.distribution, failure.stage) == ("private", None, "vectorstore_adapters")
    assert "registered in code" in failure.describe() and "private plugin bug" in failure.describe()
    with pytest.raises(PluginLoadError, match="private plugin bug"):
        registry.for_scheme("private")


def test_info_warns_and_exits_0(broken: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(broken), os.environ.get("PYTHONPATH")]))}
    env.pop("VECTORSTORE_DISABLE_PLUGIN_AUTOLOAD", None)
    result = subprocess.run(
        [sys.executable, "-c", "from vectorstore.cli import main; main()", "info", "--url", "memory://"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert any(" memory " in line and "memory://" in line for line in result.stdout.splitlines())
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == len(BROKEN), result.stderr
    assert all("brokenplugin 0.1" in line for line in warnings)
    assert any("plugin 'raises'" in line and "RuntimeError: plugin bug at import time" in line for line in warnings)
