"""A run's report entry (a verify run's checks) in each export format.

The transcript stores the report as one entry of type "report" (already redacted); these
helpers draw it as a Markdown table, an HTML table, or HAR pages, so every export format
carries the same report as the JSON export's entry.
"""

from __future__ import annotations

import html
from typing import Any

_MARK = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


def reports(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e.get("type") == "report"]


def summary_line(report: dict[str, Any]) -> str:
    summary = report.get("summary") or {}
    return ", ".join(f"{summary.get(s, 0)} {s}" for s in ("pass", "warn", "fail", "skip"))


def peer_text(report: dict[str, Any]) -> str:
    peer = report.get("peer")
    if isinstance(peer, dict):
        return f"{peer.get('country_code', '')}-{peer.get('party_id', '')}"
    return str(peer or "")


def _cell(text: Any) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def markdown(entry: dict[str, Any]) -> list[str]:
    report = entry.get("report") or {}
    out = [
        f"### {entry.get('kind', 'report')} report: {peer_text(report)}"
        f" (OCPI {report.get('ocpi_version') or '?'})",
        "",
        f"Summary: {summary_line(report)}",
        "",
        "| status | id | check | spec | detail | fix |",
        "|---|---|---|---|---|---|",
    ]
    for check in report.get("checks") or []:
        out.append(
            f"| {_MARK.get(check.get('status'), check.get('status'))} | `{_cell(check.get('id'))}`"
            f" | {_cell(check.get('title'))} | {_cell(check.get('spec'))}"
            f" | {_cell(check.get('detail'))} | {_cell(check.get('fix'))} |"
        )
    return out


def html_table(entry: dict[str, Any]) -> str:
    esc = html.escape
    report = entry.get("report") or {}
    rows = "".join(
        f'<tr class="check-{esc(str(c.get("status")))}">'
        f"<td>{esc(_MARK.get(str(c.get('status')), str(c.get('status'))))}</td>"
        f"<td><code>{esc(str(c.get('id')))}</code></td><td>{esc(str(c.get('title')))}</td>"
        f"<td>{esc(str(c.get('spec')))}</td><td>{esc(str(c.get('detail')))}</td>"
        f"<td>{esc(str(c.get('fix') or ''))}</td></tr>"
        for c in report.get("checks") or []
    )
    return (
        f"<h2>{esc(str(entry.get('kind', 'report')).capitalize())} report:"
        f" {esc(peer_text(report))} (OCPI {esc(str(report.get('ocpi_version') or '?'))})</h2>"
        f"<p>{esc(summary_line(report))}</p>"
        '<table class="report"><tr><th>status</th><th>id</th><th>check</th><th>spec</th>'
        f"<th>detail</th><th>fix</th></tr>{rows}</table>"
    )


HTML_STYLE = (
    "tr.check-fail td { background: #fdecec; } tr.check-warn td { background: #fff7e0; }"
    " tr.check-pass td:first-child { color: #1a7f37; font-weight: 600; }"
)


def har_pages(entries: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    """HAR 1.2 pages: one per report, its checks in `_checks` (custom fields start with _)."""
    pages = []
    for index, entry in enumerate(reports(entries), start=1):
        report = entry.get("report") or {}
        pages.append(
            {
                "startedDateTime": entry.get("at", ""),
                "id": f"{run_id or 'run'}-{entry.get('kind', 'report')}-{index}",
                "title": f"{entry.get('kind', 'report')} {peer_text(report)}:"
                f" {summary_line(report)}",
                "pageTimings": {},
                "comment": summary_line(report),
                "_report": report,
            }
        )
    return pages
