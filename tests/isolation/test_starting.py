"""How workers start (:mod:`vectorstore.isolation.starting`): the forkserver, the override, what a worker inherits."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vectorstore.errors import ConfigurationError
from vectorstore.isolation import starting

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the forkserver is used on Linux only")


def test_the_default_is_the_forkserver_on_linux_and_spawn_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(starting.ENVIRONMENT_VARIABLE, raising=False)
    for platform, method in (("linux", "forkserver"), ("darwin", "spawn"), ("win32", "spawn")):
        monkeypatch.setattr(sys, "platform", platform)
        assert starting.start_method() == method


def test_the_override_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(starting.ENVIRONMENT_VARIABLE, "spawn")
    assert starting.start_method() == "spawn"
    monkeypatch.setenv(starting.ENVIRONMENT_VARIABLE, "fork")
    with pytest.raises(ConfigurationError, match="'fork' is not a worker start method; use one of forkserver, spawn"):
        starting.start_method()


#: Runs in a fresh interpreter, so the forkserver certainly starts before the host changes its environment and
#: directory: a worker started afterwards must see the new ones, as a spawned worker would.
LATER_WORKER = textwrap.dedent(
    """
    import os, sys
    import vectorstore
    from vectorstore.errors import WorkerCrashed
    from vectorstore.isolation import faults

    os.environ.pop(faults.ENVIRONMENT_VARIABLE, None)
    with vectorstore.open("memory://?isolation=process") as first:  # starts the forkserver
        first.list_collections()
    os.environ[faults.ENVIRONMENT_VARIABLE] = "1"  # the worker refuses fault injection without it
    os.chdir(sys.argv[1])
    with vectorstore.open("memory://?isolation=process") as store:
        pid = store.stats()["worker"]["pid"]
        print("cwd", os.readlink(f"/proc/{pid}/cwd"))
        store.adapter._inject_fault("exit", "list_collections", exit_code=7, times=2)
        try:
            store.list_collections()
        except WorkerCrashed as exc:
            print("crashed", "exit code 7" in str(exc))
    """
)


@linux_only
def test_a_worker_forked_later_sees_the_hosts_current_environment_and_directory(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", LATER_WORKER, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", starting.ENVIRONMENT_VARIABLE: "forkserver"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == [f"cwd {tmp_path}", "crashed True"], done.stdout + done.stderr
