"""The report as one self-contained HTML page: inline CSS and SVG charts, no script, nothing fetched.

People open it from a CI artifact or an air-gapped machine, so it must render from the file alone. Every value
that came from a store (ids, documents, filter text) is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

from .models import CollectionReport, Report, SalvageResult, TrialResult, TrialSlice, VerifyResult
from .trial import OVERLAP_BINS

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#1d232a;
padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d8dee4}
h3{font-size:1rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d8dee4;padding:.3rem .6rem;text-align:right;vertical-align:top}
th{background:#f4f6f8}td.l,th.l{text-align:left}
.ok{color:#116329;font-weight:600}.bad{color:#b42318;font-weight:600}.muted{color:#656d76}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:1rem;color:#fff;font-weight:600}
.badge.ok{background:#1a7f37}.badge.bad{background:#cf222e}
ul.flags li{color:#9a6700}.charts{display:flex;flex-wrap:wrap;gap:1.5rem}
svg text{font:11px system-ui,sans-serif;fill:#1d232a}code{background:#f4f6f8;padding:0 .2rem}
"""
_SOURCE, _TARGET = "#0969da", "#bf8700"


def _num(value: float | int | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _status(ok: bool) -> str:
    return '<span class="ok">ok</span>' if ok else '<span class="bad">FAILED</span>'


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """Cells are HTML already; the first ``left`` columns are left-aligned."""

    def cells(tag: str, values: Sequence[str]) -> str:
        return "".join(f'<{tag}{" class=l" if i < left else ""}>{v}</{tag}>' for i, v in enumerate(values))

    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    return f"<table><tr>{cells('th', header)}</tr>{body}</table>"


def _where(item: TrialSlice) -> str:
    return "unfiltered" if item.where is None else f"<code>{escape(json.dumps(item.where, sort_keys=True))}</code>"


def overlap_chart(item: TrialSlice, title: str) -> str:
    """Bar chart of how many queries reached each overlap bin."""
    width, height, top, bottom = 420, 200, 24, 30
    counts = item.overlap_histogram or [0] * len(OVERLAP_BINS)
    peak = max(counts) or 1
    step = (width - 40) / len(counts)
    bars = []
    for i, count in enumerate(counts):
        h = (height - top - bottom) * count / peak
        x, y = 30 + i * step, height - bottom - h
        bars.append(
            f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{step - 4:.1f}" height="{h:.1f}" fill="{_SOURCE}">'
            f"<title>{OVERLAP_BINS[i]}: {count}</title></rect>"
            f'<text x="{x + step / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle">{OVERLAP_BINS[i]}</text>'
            + (f'<text x="{x + step / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{count}</text>' if count else "")
        )
    return (
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<text x="0" y="14" font-weight="600">{escape(title)}</text>{"".join(bars)}'
        f'<line x1="30" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#8c959f"/>'
        f'<text x="{width / 2}" y="{height - 2}" text-anchor="middle" class="muted">overlap@{item.k} per query</text>'
        "</svg>"
    )


def latency_chart(item: TrialSlice, title: str) -> str:
    """Grouped bars: p50, p95, p99 of the source next to the target's, in milliseconds."""
    if item.latency_source is None or item.latency_target is None:
        return ""
    width, height, top, bottom = 360, 200, 40, 30
    pairs = [(name, getattr(item.latency_source, name), getattr(item.latency_target, name)) for name in ("p50", "p95", "p99")]
    peak = max(max(s, t) for _, s, t in pairs) or 1.0
    group = (width - 40) / len(pairs)
    parts = []
    for i, (name, ours, theirs) in enumerate(pairs):
        for j, (value, colour) in enumerate(((ours, _SOURCE), (theirs, _TARGET))):
            h = (height - top - bottom) * value / peak
            x, y = 30 + i * group + 8 + j * (group - 16) / 2, height - bottom - h
            w = (group - 16) / 2 - 4
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}"/>'
                f'<text x="{x + w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{value:.2f}</text>'
            )
        parts.append(f'<text x="{30 + i * group + group / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle">{name}</text>')
    legend = (
        f'<rect x="0" y="22" width="10" height="10" fill="{_SOURCE}"/><text x="14" y="31">source</text>'
        f'<rect x="70" y="22" width="10" height="10" fill="{_TARGET}"/><text x="84" y="31">target</text>'
    )
    return (
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<text x="0" y="14" font-weight="600">{escape(title)}</text>{legend}{"".join(parts)}'
        f'<line x1="30" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#8c959f"/>'
        f'<text x="{width / 2}" y="{height - 2}" text-anchor="middle">ms per query</text></svg>'
    )


def _summary(report: Report) -> str:
    rows = []
    for item in report.collections:
        plan, copied, check, trial = item.plan, item.copy_result, item.verify, item.trial
        first = trial.slices[0] if trial and trial.slices else None
        rows.append([
            escape(item.collection),
            _status(item.ok) if not item.error else '<span class="bad">error</span>',
            f"{plan.dimension} / {plan.metric}" if plan else "–",
            _num(check.source_count if check else plan.source_count if plan else None),
            _num(check.target_count if check else None),
            _num(copied.copied if copied else None),
            _num(copied.records_per_second if copied else None, 0),
            (_status(check.ok) + f" ({check.difference_count:,} differences, {check.sampled:,} sampled)") if check else "–",
            _num(first.overlap_mean if first else None),
            _num(first.overlap_min if first else None),
            _num(first.latency_source.p50 if first and first.latency_source else None, 2),
            _num(first.latency_target.p50 if first and first.latency_target else None, 2),
        ])
    k = next((item.trial.k for item in report.collections if item.trial), 10)
    header = ["collection", "status", "dim / metric", "source records", "target records", "copied", "records/s",
              "verification", f"overlap@{k} mean", f"overlap@{k} min", "p50 source ms", "p50 target ms"]
    return _table(header, rows, left=2)


def _verify_section(check: VerifyResult) -> str:
    head = (
        f"<p>{_status(check.ok)}: source {check.source_count:,} records, target {check.target_count:,}; "
        f"{check.missing_in_target:,} missing in the target, {check.extra_in_target:,} extra; "
        f"{check.sampled:,} records compared field by field.</p>"
    )
    if not check.differences:
        return head
    rows = [[escape(p.kind), escape(p.id or ""), escape(p.detail)] for p in check.differences]
    more = check.difference_count - len(check.differences)
    tail = f'<p class="muted">and {more:,} more</p>' if more > 0 else ""
    return head + _table(["kind", "id", "difference"], rows, left=3) + tail


def _salvage_section(salvage: SalvageResult) -> str:
    head = (
        f"<p>{_status(salvage.ok)}: {salvage.listed:,} records listed by the source, {salvage.copied:,} copied, "
        f"{len(salvage.unreadable_ids):,} unreadable ({salvage.failed_reads:,} failed reads); the target holds "
        f"{salvage.target_count:,}.</p>"
    )
    if salvage.ok:
        return head
    rows = [[escape(p.id or ""), escape(p.detail)] for p in salvage.errors]
    every = ", ".join(escape(i) for i in salvage.unreadable_ids)
    return head + _table(["unreadable id", "error"], rows, left=2) + f"<p>Every unreadable id: <code>{every}</code></p>"


def _trial_section(trial: TrialResult) -> str:
    rows = []
    for s in trial.slices:
        ls, lt = s.latency_source, s.latency_target
        rows.append([
            _where(s), _num(s.queries), _num(s.overlap_mean), _num(s.overlap_min), _num(s.identical_rank_fraction),
            _num(s.kendall_tau), _num(s.score_diff_mean, 6), _num(s.score_diff_max, 6),
            " / ".join(_num(getattr(ls, p) if ls else None, 2) for p in ("p50", "p95", "p99")),
            " / ".join(_num(getattr(lt, p) if lt else None, 2) for p in ("p50", "p95", "p99")),
            escape(s.error or ""),
        ])
    header = ["filter", "queries", f"overlap@{trial.k} mean", "min", "same rank", "Kendall tau", "score diff mean",
              "score diff max", "source p50/p95/p99 ms", "target p50/p95/p99 ms", "error"]
    flags = "".join(f"<li>{escape(flag)}</li>" for flag in trial.flags)
    charts = "".join(
        f'<div class="charts">{overlap_chart(s, f"overlap, {_plain(s)}")}{latency_chart(s, f"latency, {_plain(s)}")}</div>'
        for s in trial.slices
        if s.queries
    )
    return (
        f"<p>{escape(trial.queries_from)}, k = {trial.k}; the source is the reference.</p>"
        + (f'<ul class="flags">{flags}</ul>' if flags else "")
        + _table(header, rows)
        + charts
    )


def _plain(item: TrialSlice) -> str:
    return "unfiltered" if item.where is None else json.dumps(item.where, sort_keys=True)


def _plan_section(item: CollectionReport) -> str:
    plan = item.plan
    if plan is None:
        return ""
    lines = [
        f"{plan.source_count:,} source records; {plan.to_copy:,} to copy, {plan.already_done:,} already copied "
        f"(checkpoint), {plan.stale:,} stale; target collection {'exists' if plan.target_exists else 'is created'}"
        f"; ids {'checked for collisions' if plan.ids_checked else 'not checked for collisions'}."
    ]
    lines += [f'<span class="bad">{escape(b)}</span>' for b in plan.blockers]
    lines += [f'<span class="bad">ids stored as one record: {escape(", ".join(g))}</span>' for g in plan.collisions]
    if plan.foreign_count:
        lines.append(
            f'<span class="bad">{plan.foreign_count:,} target records not from this migration, e.g. '
            f"{escape(', '.join(plan.foreign_ids[:5]))}</span>"
        )
    lines += [f'<span class="bad">cannot hold {escape(p.id or "")}: {escape(p.detail)}</span>' for p in plan.unholdable]
    if plan.unholdable_count > len(plan.unholdable):
        lines.append(f"and {plan.unholdable_count - len(plan.unholdable):,} more records the target cannot hold")
    return "<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"


def render(report: Report) -> str:
    """The whole page."""
    badge = '<span class="badge ok">PASSED</span>' if report.ok else '<span class="badge bad">FAILED</span>'
    parts = [
        f"<h1>vectorstore {report.command} {badge}</h1>",
        f'<p class="muted">{escape(report.source)} &rarr; {escape(report.target)} · started {escape(report.started)}'
        f" · {report.seconds:.1f} s{' · dry run' if report.dry_run else ''}</p>",
        "<h2>Summary</h2>",
        _summary(report),
    ]
    for item in report.collections:
        parts.append(f"<h2>{escape(item.collection)}</h2>")
        if item.error:
            parts.append(f'<p class="bad">{escape(item.error)}</p>')
        if item.checkpoint:
            parts.append(f"<p>checkpoint kept at <code>{escape(item.checkpoint)}</code></p>")
        if item.plan:
            parts.append("<h3>Plan</h3>" + _plan_section(item))
        if item.copy_result:
            c = item.copy_result
            parts.append(
                f"<h3>Copy</h3><p>{c.copied:,} records copied in {c.batches:,} batch{'es' if c.batches != 1 else ''}, "
                f"{c.skipped:,} skipped as "
                f"already copied, {c.deleted_stale:,} stale deleted; {c.seconds:.1f} s, "
                f"{c.records_per_second:,.0f} records/s{' (resumed)' if c.resumed else ''}.</p>"
            )
        if item.salvage:
            parts.append("<h3>Salvage</h3>" + _salvage_section(item.salvage))
        if item.verify:
            parts.append("<h3>Verification</h3>" + _verify_section(item.verify))
        if item.trial:
            parts.append("<h3>Trial</h3>" + _trial_section(item.trial))
    title = f"vectorstore {report.command}: {report.source} to {report.target}"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>'
        f"<body>{''.join(parts)}</body></html>\n"
    )
