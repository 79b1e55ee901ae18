"""``vectorstore conformance URL``, end to end in a subprocess: the matrix, the JSON report, the exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-c", "from vectorstore.cli import main; main()", "conformance"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600, check=False)


def test_memory_passes_and_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    done = _run("memory://", "-g", "get", "-g", "persistence", "--json", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conformance of memory://" in done.stdout
    for line in ("│ get ", "│ persistence ", "│ total "):
        assert line in done.stdout
    document = json.loads(report.read_text())
    assert document["ok"] is True
    assert document["groups"]["get"]["passed"] == document["groups"]["get"]["total"] > 0
    assert document["groups"]["persistence"]["unsupported"] == document["groups"]["persistence"]["total"] == 3
    assert document["totals"]["failed"] == 0
    assert "persistent" in document["unsupported"]
    assert document["stores"][0]["adapter"] == "memory"
    assert {test["group"] for test in document["tests"]} == {"get", "persistence"}


def test_failures_exit_1_and_are_listed(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    done = _run("broken+merge://", "-g", "upsert", "--json", str(report))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "failed test_conformance_run.py::TestConformance::test_metadata_is_replaced_not_merged" in done.stdout
    assert "conformance test(s) failed against broken+merge://" in done.stderr
    document = json.loads(report.read_text())
    assert document["ok"] is False
    assert document["groups"]["upsert"]["failed"] >= 3


def test_keyword_and_fresh_directories_for_a_persistent_path(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    selected = "test_reopen_keeps_everything or test_create_twice"
    done = _run(f"picklefile://{tmp_path}/mine", "-k", selected, "--json", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "replaced by a fresh temporary directory" in done.stdout
    document = json.loads(report.read_text())
    assert document["totals"]["passed"] == document["totals"]["total"] == 2
    assert set(document["groups"]) == {"collections", "persistence"}
    assert not (tmp_path / "mine").exists()


def test_unknown_group_is_a_usage_error() -> None:
    done = _run("memory://", "-g", "nope")
    assert done.returncode == 2
    assert "unknown group(s) nope" in done.stderr
