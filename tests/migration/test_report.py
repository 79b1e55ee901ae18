"""The report: JSON for machines, a self-contained HTML page for people, checked in a real headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

import vectorstore
from vectorstore.migration import Problem, Report, VerifyResult, migrate, write_report
from vectorstore.migration.models import CollectionReport
from vectorstore.migration.page import render

from .conftest import make_corpus

N = 1200
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install -y chromium)"
)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = make_corpus(N)
    directory = tmp_path_factory.mktemp("report")
    with vectorstore.open("memory://") as source, vectorstore.open("memory://") as target:
        corpus.load(source, "docs", "l2")
        report = migrate(source, target, ["docs"], checkpoint_dir=directory / "ck", trial_queries=40,
                         wheres=[{"b": True}])
    assert report.ok
    write_report(report, directory)
    return directory


def test_json_has_every_result(report_dir: Path) -> None:
    data = json.loads((report_dir / "report.json").read_text())
    assert data["ok"] and data["command"] == "migrate"
    item = data["collections"][0]
    assert item["plan"]["source_count"] == item["verify"]["target_count"] == item["copy_result"]["copied"] == N
    first, filtered = item["trial"]["slices"]
    assert first["queries"] == 40 and sum(first["overlap_histogram"]) == 40 and filtered["where"] == {"b": True}
    assert set(first["latency_source"]) == {"p50", "p95", "p99", "mean"}


def test_html_is_self_contained_and_escaped() -> None:
    hostile = "<script>alert(1)</script>"
    report = Report(command="verify", source="memory://", target="memory://", started="now", collections=[
        CollectionReport(collection="docs", verify=VerifyResult(
            collection="docs", source_count=2, target_count=2, missing_in_target=0, extra_in_target=0, sampled=2,
            differences=[Problem(kind="document", id=hostile, detail=f"document differs: {hostile}")],
            difference_count=1,
        )),
    ])
    page = render(report)
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "FAILED" in page
    assert not re.search(r"""(src|href)\s*=|@import|url\(|https?://""", page), "nothing is fetched"


@needs_chromium
def test_html_renders_in_headless_chromium(report_dir: Path, tmp_path: Path) -> None:
    page = (report_dir / "report.html").as_uri()
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr", "--v=0",
    ]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    data = json.loads((report_dir / "report.json").read_text())
    item = data["collections"][0]
    for number in (f"{N:,}", f"{item['copy_result']['records_per_second']:,.0f}", "PASSED"):
        assert number in dom.stdout, number
    first = item["trial"]["slices"][0]
    assert f"{first['overlap_mean']:.3f}" in dom.stdout and f"{first['latency_target']['p50']:.2f}" in dom.stdout
    assert dom.stdout.count("<svg") == 4, "an overlap histogram and a latency chart per filter"
    assert not re.search(r"CONSOLE|Failed to load|net::ERR", dom.stderr), dom.stderr[-2000:]

    shot = tmp_path / "report.png"
    taken = subprocess.run(
        [CHROMIUM, *flags, "--window-size=1280,1600", f"--screenshot={shot}", page],
        capture_output=True, text=True, timeout=120,
    )
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    width, height, pixels = _png(shot.read_bytes())
    assert (width, height) == (1280, 1600)
    assert len(set(pixels)) > 50, "the screenshot has content (text, tables, coloured bars), not a blank page"


def _png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the raw (filtered) scanlines of a PNG: enough to tell a rendered page from a blank one."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, position = [], 8
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind == b"IDAT":
            chunks.append(data[position + 8 : position + 8 + length])
        position += 12 + length
    return width, height, zlib.decompress(b"".join(chunks))
