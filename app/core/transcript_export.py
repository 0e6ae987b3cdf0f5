"""Writers of a (redacted) transcript: HAR 1.2, a readable HTML or Markdown report, JSON.

Input is the list of entries the Transcript produced (already redacted); the writers add
no data of their own beyond formatting, so an export cannot hold more than the record.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from app import __version__
from app.core import report_export

FORMATS = ("har", "html", "md", "json")


def run_meta(
    run_id: str,
    kind: str,
    state: str,
    outcome: str,
    created: str,
    partner_ref: str | None = None,
    diagnosis_code: str | None = None,
) -> dict[str, Any]:
    """The header every export carries (the CLI and the GUI write the same one)."""
    meta: dict[str, Any] = {
        "run_id": run_id,
        "kind": kind,
        "state": state,
        "outcome": outcome,
        "created": created,
        "app": f"ocpi-onboard {__version__}",
    }
    if partner_ref:
        meta["partner"] = partner_ref
    if diagnosis_code:
        meta["diagnosis"] = diagnosis_code
    return meta


Audit = list[dict[str, Any]]
"""Audit events about the run ({seq, at, actor, action, peer, fingerprint}): who did what."""


def _audit_line(event: dict[str, Any]) -> str:
    what = " ".join(str(event[k]) for k in ("peer", "fingerprint") if event.get(k))
    line = f"#{event.get('seq')} {event.get('at')} {event.get('actor')} {event.get('action')}"
    return line + (f" {what}" if what else "")


def to_json(entries: list[dict[str, Any]], meta: dict[str, Any], audit: Audit | None = None) -> str:
    data: dict[str, Any] = {"meta": meta, "entries": entries}
    if audit:
        data["audit"] = audit
    return json.dumps(data, indent=2, ensure_ascii=False)


def _har_headers(headers: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in headers.items()]


def to_har(entries: list[dict[str, Any]], meta: dict[str, Any], audit: Audit | None = None) -> str:
    """HAR 1.2: outbound and inbound exchanges (inbound marked in `comment`)."""
    har_entries = []
    for entry in entries:
        if entry.get("type") != "exchange":
            continue
        request = entry["request"]
        response = entry["response"]
        url = entry["url"]
        req_body = request.get("body")
        resp_body = response.get("body") or ""
        har_entries.append(
            {
                "startedDateTime": entry["at"],
                "time": entry.get("elapsed_ms", 0),
                "comment": f"{entry['direction']}; token {entry.get('token') or 'none'}"
                + (f"; error {entry['error']}" if entry.get("error") else ""),
                "request": {
                    "method": entry["method"],
                    "url": url,
                    "httpVersion": "HTTP/1.1",
                    "cookies": [],
                    "headers": _har_headers(request.get("headers", {})),
                    "queryString": [
                        {"name": k, "value": v} for k, v in parse_qsl(urlsplit(url).query)
                    ],
                    **(
                        {"postData": {"mimeType": "application/json", "text": req_body}}
                        if req_body
                        else {}
                    ),
                    "headersSize": -1,
                    "bodySize": len(req_body.encode("utf-8")) if req_body else 0,
                },
                "response": {
                    "status": response.get("status") or 0,
                    "statusText": "",
                    "httpVersion": "HTTP/1.1",
                    "cookies": [],
                    "headers": _har_headers(response.get("headers", {})),
                    "content": {
                        "size": len(resp_body.encode("utf-8")),
                        "mimeType": response.get("headers", {}).get("content-type", ""),
                        "text": resp_body,
                    },
                    "redirectURL": response.get("headers", {}).get("location", ""),
                    "headersSize": -1,
                    "bodySize": len(resp_body.encode("utf-8")),
                },
                "cache": {},
                "timings": {"send": 0, "wait": entry.get("elapsed_ms", 0), "receive": 0},
            }
        )
    pages = report_export.har_pages(entries, str(meta.get("run_id", "")))
    if pages:
        for har_entry in har_entries:
            har_entry["pageref"] = pages[0]["id"]
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "OCPI Onboard", "version": __version__},
            "comment": json.dumps(meta, ensure_ascii=False),
            **({"pages": pages} if pages else {}),
            "entries": har_entries,
            **({"_audit": audit} if audit else {}),
        }
    }
    return json.dumps(har, indent=2, ensure_ascii=False)


def _line(entry: dict[str, Any]) -> str:
    if entry.get("type") == "exchange":
        arrow = "→" if entry["direction"] == "outbound" else "←"
        who = "we → partner" if entry["direction"] == "outbound" else "partner → us"
        status = entry["response"].get("status")
        ocpi = entry.get("ocpi_status")
        tail = f"HTTP {status}" if status else f"no answer ({entry.get('error', '')})"
        if ocpi:
            tail += f", OCPI {ocpi}"
        return (
            f"{arrow} {entry['method']} {entry['url']} [{who}, token {entry.get('token') or 'none'}]"
            f" {tail} in {entry.get('elapsed_ms', 0)} ms"
        )
    text = f"{entry.get('level', 'info').upper()}: {entry.get('message', '')}"
    diagnosis = entry.get("diagnosis")
    if diagnosis:
        text += f" [{diagnosis['code']}] Fix: {diagnosis['hint']}"
    return text


def to_markdown(
    entries: list[dict[str, Any]], meta: dict[str, Any], audit: Audit | None = None
) -> str:
    out = [f"# OCPI Onboard transcript {meta.get('run_id', '')}", ""]
    for key, value in meta.items():
        out.append(f"- **{key}**: {value}")
    out.append("")
    out.append("Tokens appear only as fingerprints (A·…, B·…, C·…).")
    out.append("")
    for entry in entries:
        out.append(f"## {entry.get('seq', '')}. {entry.get('at', '')}")
        out.append("")
        if entry.get("type") == "report":
            out.extend(report_export.markdown(entry))
            out.append("")
            continue
        out.append(_line(entry))
        if entry.get("type") == "exchange":
            for label, part in (("Request", entry["request"]), ("Response", entry["response"])):
                headers = "\n".join(f"{k}: {v}" for k, v in part.get("headers", {}).items())
                body = part.get("body") or ""
                if headers or body:
                    out.append("")
                    out.append(f"**{label}**")
                    out.append("")
                    out.append("```")
                    out.append(headers + ("\n\n" + body if body else ""))
                    out.append("```")
        out.append("")
    if audit:
        out.append("## Audit trail")
        out.append("")
        out.extend(f"- {_audit_line(event)}" for event in audit)
        out.append("")
    return "\n".join(out)


def to_html(entries: list[dict[str, Any]], meta: dict[str, Any], audit: Audit | None = None) -> str:
    esc = html.escape
    audit_html = ""
    if audit:
        items = "".join(f"<li>{esc(_audit_line(event))}</li>" for event in audit)
        audit_html = f'<h2>Audit trail</h2><ul class="audit">{items}</ul>\n'
    rows = []
    for entry in entries:
        if entry.get("type") == "report":
            continue  # drawn as its own table above the log
        level = entry.get("level", "info")
        if entry.get("type") == "exchange":
            status = entry["response"].get("status") or 0
            level = "error" if not status or status >= 400 else "info"
        confusion = bool(entry.get("diagnosis", {}).get("token_confusion"))
        details = ""
        if entry.get("type") == "exchange":
            parts = []
            for label, part in (("Request", entry["request"]), ("Response", entry["response"])):
                headers = "\n".join(f"{k}: {v}" for k, v in part.get("headers", {}).items())
                body = part.get("body") or ""
                parts.append(f"<h4>{label}</h4><pre>{esc(headers)}\n\n{esc(body)}</pre>")
            details = f"<details><summary>headers and bodies</summary>{''.join(parts)}</details>"
        rows.append(
            f'<tr class="{esc(level)}{" confusion" if confusion else ""}">'
            f"<td>{entry.get('seq', '')}</td><td>{esc(entry.get('at', ''))}</td>"
            f"<td>{esc(_line(entry))}{details}</td></tr>"
        )
    meta_rows = "".join(
        f"<tr><th>{esc(str(k))}</th><td>{esc(str(v))}</td></tr>" for k, v in meta.items()
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>OCPI Onboard transcript {esc(str(meta.get("run_id", "")))}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #1d2430; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #dde2ea; padding: 4px 8px; text-align: left; vertical-align: top; }}
tr.warning td {{ background: #fff7e0; }} tr.error td {{ background: #fdecec; }}
tr.confusion td {{ background: #f3e8ff; font-weight: 600; }}
pre {{ background: #f5f7fa; padding: 8px; overflow-x: auto; }}
{report_export.HTML_STYLE}
</style></head><body>
<h1>OCPI Onboard transcript</h1>
<p>Tokens appear only as fingerprints (A·…, B·…, C·…): the role letter tells which token went where.</p>
<table class="meta">{meta_rows}</table>
{"".join(report_export.html_table(e) for e in report_export.reports(entries))}
<h2>Events and exchanges</h2>
<table>{"".join(rows)}</table>
{audit_html}</body></html>
"""


def export(
    entries: list[dict[str, Any]], meta: dict[str, Any], fmt: str, audit: Audit | None = None
) -> str:
    """`fmt` of the run's entries; `audit` adds the audit lines that concern the run."""
    writers = {"har": to_har, "html": to_html, "md": to_markdown, "json": to_json}
    if fmt not in writers:
        raise ValueError(f"unknown format {fmt}; choose one of {', '.join(FORMATS)}")
    return writers[fmt](entries, meta, audit)
