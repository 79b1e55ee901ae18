"""Write a report where people and machines find it: ``report.json`` and ``report.html`` side by side."""

from __future__ import annotations

from pathlib import Path

from .models import Report
from .page import render

JSON_NAME = "report.json"
HTML_NAME = "report.html"


def write_report(report: Report, directory: Path) -> tuple[Path, Path]:
    """Write both files into ``directory`` (created if needed); returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / JSON_NAME, directory / HTML_NAME
    json_path.write_text(report.to_json() + "\n", encoding="utf-8")
    html_path.write_text(render(report), encoding="utf-8")
    return json_path, html_path
