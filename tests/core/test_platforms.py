"""The host side must work on Windows: no module needs a POSIX-only API to import, and every POSIX-only call is guarded.

The seed problem of this project is a Windows crash (0xC0000005), so the isolation code must not assume POSIX. CI on
Windows (.github/workflows/ci.yml) runs the real suite; these checks run everywhere and catch the usual mistake early:
an unguarded ``import fcntl``, ``signal.SIGKILL`` or ``os.killpg``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGES = ("vectorstore", "vectorstore_chroma", "vectorstore_qdrant", "vectorstore_conformance")

#: Modules Windows does not have; ``msvcrt`` is the Windows-only one a guarded branch imports instead.
POSIX_MODULES = ("fcntl", "resource", "termios", "tty", "pty", "pwd", "grp", "posix", "syslog", "readline")
#: What ``signal`` has on Windows; every other ``SIG*`` constant is POSIX-only.
WINDOWS_SIGNALS = frozenset({"SIGABRT", "SIGFPE", "SIGILL", "SIGINT", "SIGSEGV", "SIGTERM", "SIGBREAK", "SIG_DFL",
                             "SIG_IGN"})
POSIX_SIGNAL_CALLS = frozenset({"alarm", "pause", "pthread_kill", "pthread_sigmask", "setitimer", "getitimer",
                                "siginterrupt", "sigwait", "sigpending", "sigtimedwait", "sigwaitinfo"})
POSIX_OS_CALLS = frozenset({"fork", "forkpty", "killpg", "getpgid", "setpgid", "setpgrp", "getpgrp", "setsid",
                            "getuid", "geteuid", "getgid", "getegid", "setuid", "sysconf", "uname", "wait",
                            "waitpid", "wait3", "wait4", "WNOHANG", "nice", "getloadavg", "statvfs", "mkfifo"})

#: Code that runs only inside a worker to *inject* a fault (tests), never on the host; each entry says why it may.
POSIX_ALLOWED = {
    "vectorstore/isolation/faults.py": "fault injection in the worker (sigkill, native_hang: documented POSIX only)",
}

IMPORT_AS_WINDOWS = """
import importlib, json, pkgutil, signal, os, sys, types

packages = {packages!r}
names = []
for package in packages:  # first a normal import of everything: third-party and stdlib modules load for real
    module = importlib.import_module(package)
    names.append(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        names.append(info.name)
        importlib.import_module(info.name)
for name in list(sys.modules):
    if name.split(".")[0] in packages:
        del sys.modules[name]

# Now Windows, as far as this project's own modules can tell (os.name stays: pathlib would build WindowsPaths).
sys.platform = "win32"
for name in {posix_modules!r}:
    sys.modules[name] = None  # import raises ImportError
sys.modules["msvcrt"] = types.ModuleType("msvcrt")  # a guarded Windows branch may import it; never called here
for name in dir(signal):
    if (name.startswith("SIG") and name not in {windows_signals!r}) or name in {signal_calls!r}:
        delattr(signal, name)
for name in {os_calls!r}:
    if hasattr(os, name):
        delattr(os, name)

failures = {{}}
for name in names:
    try:
        importlib.import_module(name)
    except BaseException as exc:
        failures[name] = f"{{type(exc).__name__}}: {{exc}}"
print(json.dumps({{"imported": len(names), "failures": failures}}))
"""


def test_every_module_imports_as_on_windows() -> None:
    code = IMPORT_AS_WINDOWS.format(
        packages=PACKAGES, posix_modules=POSIX_MODULES, windows_signals=sorted(WINDOWS_SIGNALS),
        signal_calls=sorted(POSIX_SIGNAL_CALLS), os_calls=sorted(POSIX_OS_CALLS),
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["failures"] == {}
    assert report["imported"] > 100  # the walk found the four packages' modules, not just their roots


def source_files() -> Iterator[tuple[str, Path]]:
    root = Path(__file__).resolve().parents[2]
    for top in ("vectorstore", "adapters/chroma/src", "adapters/qdrant/src", "conformance/src"):
        for path in sorted((root / top).rglob("*.py")):
            yield path.relative_to(root).as_posix(), path


def _guard(test: ast.expr) -> bool:
    """An ``if`` test that asks about the platform or whether the API exists."""
    text = ast.unparse(test)
    return "hasattr(" in text or "sys.platform" in text or "os.name" in text


def posix_uses(tree: ast.AST) -> Iterator[tuple[int, str, bool]]:
    """Each POSIX-only import or attribute (line, what, guarded?), guarded meaning inside either branch of a
    platform or ``hasattr`` test (an ``else`` of ``if sys.platform == "win32"`` is the POSIX branch)."""

    def walk(node: ast.AST, guarded: bool) -> Iterator[tuple[int, str, bool]]:
        if isinstance(node, (ast.If, ast.IfExp)) and _guard(node.test):
            guarded = True
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in POSIX_MODULES:
                    yield node.lineno, f"import {alias.name}", guarded
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in POSIX_MODULES:
            yield node.lineno, f"from {node.module} import ...", guarded
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner, name = node.value.id, node.attr
            posix_signal = owner == "signal" and (
                (name.startswith("SIG") and name not in WINDOWS_SIGNALS) or name in POSIX_SIGNAL_CALLS
            )
            if posix_signal or (owner == "os" and name in POSIX_OS_CALLS):
                yield node.lineno, f"{owner}.{name}", guarded
        for child in ast.iter_child_nodes(node):
            yield from walk(child, guarded)

    yield from walk(tree, False)


def test_every_posix_only_call_is_guarded() -> None:
    unguarded, checked = [], 0
    for relative, path in source_files():
        for line, what, guarded in posix_uses(ast.parse(path.read_text(encoding="utf-8"))):
            checked += 1
            if not guarded and relative not in POSIX_ALLOWED:
                unguarded.append(f"{relative}:{line}: {what}")
    assert unguarded == [], "guard with sys.platform / os.name / hasattr, or run it only in the worker"
    assert checked > 0  # the walk sees the guarded uses (SIGUSR1, SIGKILL, fcntl, killpg)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import fcntl\n", [(1, "import fcntl", False)]),
        ("import signal\nsignal.SIGKILL\n", [(2, "signal.SIGKILL", False)]),
        ("import os\nos.killpg(1, 9)\n", [(2, "os.killpg", False)]),
        ("import signal\nif hasattr(signal, 'SIGUSR1'):\n    signal.SIGUSR1\n", [(3, "signal.SIGUSR1", True)]),
        ("import sys\nif sys.platform == 'win32':\n    pass\nelse:\n    import fcntl\n", [(5, "import fcntl", True)]),
        ("import signal\nsignal.SIGTERM\nsignal.SIGINT\n", []),
    ],
)
def test_the_check_sees_unguarded_calls(source: str, expected: list[tuple[int, str, bool]]) -> None:
    assert list(posix_uses(ast.parse(source))) == expected
