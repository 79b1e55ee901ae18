"""Make plugin modules visible as installed adapters, in this process and in the processes it starts.

Tests of a plugin that is not installed (this repository's test doubles, an adapter under development) need it
found the way an installed one is: isolated stores start workers, and the suite starts child processes, which are
fresh interpreters that look adapters up through entry points. :func:`visible_plugins` writes a minimal dist-info
declaring the modules under the ``vectorstore`` entry point group, puts it (and any directory the modules live in)
on ``PYTHONPATH`` and ``sys.path``, and registers the modules in this process's registry.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from vectorstore.registry import registry


@contextmanager
def visible_plugins(site: Path, plugins: Mapping[str, str], directories: Sequence[Path] = ()) -> Iterator[None]:
    """Within the block, ``plugins`` (entry point name -> module) are installed adapters for this process and its
    children; ``site`` is an empty directory for the dist-info. Registrations in this process stay (pluggy cannot
    take a plugin back safely), under names no installed adapter uses."""
    info = site / f"vsc_visible_{'_'.join(sorted(plugins))}-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: vsc-visible-{'-'.join(sorted(plugins))}\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[vectorstore]\n" + "".join(f"{n} = {m}\n" for n, m in plugins.items()))
    paths = [str(site), *map(str, directories)]
    saved_path, saved_env = list(sys.path), os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([*paths, *([saved_env] if saved_env else [])])
    sys.path[:0] = [str(directory) for directory in directories]
    try:
        for name, module in plugins.items():
            if not registry().plugins.has_plugin(name):
                registry().register(importlib.import_module(module), name=name)
        yield
    finally:
        sys.path[:] = saved_path
        if saved_env is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved_env
