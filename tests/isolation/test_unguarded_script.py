"""A plain script that opens an isolated store at top level (no ``if __name__ == "__main__"`` guard) must work.

``spawn`` re-imports the parent's ``__main__`` in the worker; without care that re-runs the script inside the worker.
Settings from the URL (circuit options) must also reach the supervisor.
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
