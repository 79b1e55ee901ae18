"""Opening an isolated store the way users do: from a plain script, with options in the URL.

``spawn`` re-imports the parent's ``__main__`` in the worker; without care a script with no
``if __name__ == "__main__"`` guard would run again inside the worker. Settings from the URL (circuit options) must
reach the supervisor, and every adapter hook must cross the process boundary.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import vectorstore
store = vectorstore.open("memory://?isolation=process&circuit_failures=5&circuit_cooldown_s=2")
store.create_collection("abc", 2)
store.upsert("abc", ["a", "b"], [[1, 0], [0, 1]])
policy = store.adapter._supervisor.policy
print("count", store.count("abc"), "circuit", policy.circuit_failures, policy.circuit_cooldown_s)
store.close()
"""


def test_script_without_main_guard(tmp_path: Path) -> None:
    script = tmp_path / "plain_script.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "count 2 circuit 5 2.0" in done.stdout
    assert "bootstrapping phase" not in done.stderr


def test_native_ids_cross_the_process_boundary() -> None:
    import vectorstore

    with vectorstore.open("memory://?isolation=process") as store:
        assert store.native_ids(["a", "007"]) == ["a", "007"]
