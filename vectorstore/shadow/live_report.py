"""The live trial as ``vectorstore trial``'s report (``report.json`` + self-contained ``report.html``), plus the
time series of mirrored-read agreement and latency as an inline SVG chart and a ``live`` part of the JSON."""

from __future__ import annotations

import json
import time
from html import escape
from pathlib import Path
from typing import Any

from ..migration import CollectionReport, Report, TrialResult, TrialSlice, write_report
from ..migration.trial import RECALL_THRESHOLD
from .agreement import label
from .status import Status

_OVERLAP, _PRIMARY, _SHADOW = "#1a7f37", "#0969da", "#bf8700"


def live_trial(status: Status) -> Report:
    """One collection report per mirrored collection, one trial slice per filter shape (the primary as source)."""
    mirror = status.mirror or {}
    report = Report(command="trial", source=str(status.primary), target=str(status.shadow),
                    started=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    by_collection: dict[str, list[dict[str, Any]]] = {}
    for item in mirror.get("slices", []):
        by_collection.setdefault(item["collection"], []).append(item)
    for name, items in sorted(by_collection.items()):
        slices = [TrialSlice(**{k: v for k, v in item.items() if k not in ("collection", "errors")}) for item in items]
        flags = [f"{label(s.where)}: mirrored overlap@{s.k} {s.overlap_mean:.3f} is below {RECALL_THRESHOLD}"
                 for s in slices if s.overlap_mean is not None and s.overlap_mean < RECALL_THRESHOLD]
        queries = sum(s.queries for s in slices)
        trial = TrialResult(collection=name, queries_from=f"{queries} mirrored reads of the live application",
                            k=slices[0].k, slices=slices, flags=flags)
        report.collections.append(CollectionReport(collection=name, trial=trial))
    return report


def series_chart(windows: list[dict[str, Any]], title: str) -> str:
    """Overlap (left axis, 0 to 1) and p50 latency of both sides (right axis, ms) per time window."""
    if not windows:
        return "<p class=\"muted\">no mirrored reads compared yet</p>"
    width, height, left, right, top, bottom = 720, 240, 40, 50, 28, 34
    starts = [w["start"] for w in windows]
    t0, t1 = min(starts), max(starts)
    span = (t1 - t0) or 1.0
    peak = max([w[key] or 0.0 for w in windows for key in ("primary_p50_ms", "shadow_p50_ms")] + [1e-9])

    def x(at: float) -> float:
        return left + (width - left - right) * ((at - t0) / span if t1 > t0 else 0.5)

    def y(fraction: float) -> float:
        return top + (height - top - bottom) * (1 - fraction)

    def line(key: str, scale: float, colour: str) -> str:
        points = " ".join(f"{x(w['start']):.1f},{y((w[key] or 0.0) / scale):.1f}" for w in windows if w[key] is not None)
        dots = "".join(f'<circle cx="{x(w["start"]):.1f}" cy="{y((w[key] or 0.0) / scale):.1f}" r="2.5" fill="{colour}">'
                       f"<title>{key} {w[key]}</title></circle>" for w in windows if w[key] is not None)
        return f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>{dots}'

    legend = "".join(
        f'<rect x="{10 + i * 150}" y="{height - 14}" width="10" height="10" fill="{c}"/>'
        f'<text x="{24 + i * 150}" y="{height - 5}">{t}</text>'
        for i, (t, c) in enumerate((("overlap (0-1)", _OVERLAP), ("primary p50 ms", _PRIMARY), ("shadow p50 ms", _SHADOW)))
    )
    return (
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<text x="0" y="14" font-weight="600">{escape(title)}</text>'
        f'<line x1="{left}" y1="{y(0)}" x2="{width - right}" y2="{y(0)}" stroke="#8c959f"/>'
        f'<text x="4" y="{y(1) + 4:.1f}">1.0</text><text x="4" y="{y(0):.1f}">0</text>'
        f'<text x="{width - right + 4}" y="{y(1) + 4:.1f}">{peak:.2f} ms</text>'
        f"{line('overlap_mean', 1.0, _OVERLAP)}{line('primary_p50_ms', peak, _PRIMARY)}"
        f"{line('shadow_p50_ms', peak, _SHADOW)}{legend}</svg>"
    )


def write_live_report(status: Status, directory: Path) -> tuple[Path, Path]:
    """Write trial's two files, then add the time series: a section in the page and ``live`` in the JSON."""
    report = live_trial(status)
    json_path, html_path = write_report(report, directory)
    mirror = status.mirror or {}
    windows = mirror.get("windows", [])
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for window in windows:
        groups.setdefault((window["collection"], label(window["where"])), []).append(window)
    charts = "".join(series_chart(items, f"{name}, {shape}: per {mirror.get('window_s', 0):g} s window")
                     for (name, shape), items in sorted(groups.items()))
    section = (f"<h2>Over time</h2><p class=\"muted\">journal lag {status.lag_writes} writes "
               f"({status.lag_seconds:.1f} s); counts {escape(json.dumps(mirror.get('counts', {})))}</p>{charts}")
    page = html_path.read_text(encoding="utf-8")
    html_path.write_text(page.replace("</body>", section + "</body>", 1), encoding="utf-8")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    data["live"] = {"status": status.model_dump(mode="json", exclude={"mirror"}), "counts": mirror.get("counts", {}),
                    "window_s": mirror.get("window_s"), "windows": windows}
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return json_path, html_path
