"""docs/async.md's FastAPI example, run as written against isolated Chroma: a worker crash mid-request (twice, so
the retry crashes too) answers 503 with the typed error, and the next request is served by a new worker."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

fastapi = pytest.importorskip("fastapi", reason="the FastAPI example needs fastapi (the test extra)")
httpx = pytest.importorskip("httpx", reason="the FastAPI example needs httpx (the test extra)")

pytestmark = pytest.mark.asyncio

DOCS = Path(__file__).resolve().parents[2] / "docs" / "async.md"


def example_app() -> Any:
    """The ``app`` defined by the python block of the FastAPI section of docs/async.md."""
    section = DOCS.read_text(encoding="utf-8").split("## FastAPI", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None, "docs/async.md lost its FastAPI example"
    namespace: dict[str, Any] = {"__name__": "async_md_example"}
    exec(compile(code.group(1), str(DOCS), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["app"]


async def test_worker_crash_is_a_503_and_the_next_request_is_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VECTORSTORE_URL", f"chroma://{tmp_path}/c?circuit_failures=1000")
    app = example_app()
    rows = np.random.default_rng(3).standard_normal((20, 8)).astype(np.float32)
    async with app.router.lifespan_context(app):
        store = app.state.store
        await store.create_collection("docs", 8)
        await store.upsert("docs", [f"d{i}" for i in range(20)], rows, metadatas=[{"i": i} for i in range(20)])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            body = {"vector": rows[4].tolist(), "k": 2}
            assert (await client.post("/collections/docs/search", json=body)).json()[0]["id"] == "d4"
            store.adapter._inject_fault("segv", "query", times=2)  # the call and its retry on a fresh worker
            crashed = await client.post("/collections/docs/search", json=body)
            assert crashed.status_code == 503
            assert crashed.json()["error"] == "WorkerCrashed"
            assert crashed.headers["retry-after"] == "1"
            served = await client.post("/collections/docs/search", json=body)
            assert served.status_code == 200 and served.json()[0]["id"] == "d4"
            bad = await client.post("/collections/docs/search", json={"vector": [1.0, 2.0]})
            assert bad.status_code == 422 and bad.json()["error"] == "DimensionMismatch"
            missing = await client.post("/collections/nope/search", json=body)
            assert missing.status_code == 404
        assert store.adapter.stats()["restarts"] == 2
