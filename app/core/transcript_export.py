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


def ordered(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries by their start time (`at`), stable by `seq`: an exchange is appended when its
    answer arrives, but it belongs where it started (the POST before the partner's
    callbacks it caused)."""
    return sorted(entries, key=lambda e: (str(e.get("at", "")), int(e.get("seq") or 0)))


OUTCOME_WORDS = {
    "succeeded": "succeeded",
    "failed": "failed",
    "cancelled": "was cancelled",
    "interrupted": "was interrupted: whether the partner took our credentials is unknown",
    "running": "has not finished (still running, or stopped without an outcome)",
}


def _diagnosis_of(entry: dict[str, Any]) -> dict[str, Any]:
    diagnosis = entry.get("diagnosis") or {}
    return {k: diagnosis.get(k) for k in ("code", "message", "hint")}


def summary(entries: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    """What happened, in plain words, from the (redacted) entries and the header only."""
    entries = ordered(entries)
    kind = str(meta.get("kind") or "run")
    outcome = str(meta.get("outcome") or "")
    state = str(meta.get("state") or "")
    partner = str(meta.get("partner") or "not identified")
    if partner.startswith("#"):  # no identity yet: the vault's row number
        partner = f"partner {partner}"
    outbound = [e for e in entries if e.get("direction") == "outbound"]
    with_diagnosis = [e for e in entries if e.get("diagnosis")]
    failed = [e for e in with_diagnosis if e.get("kind") == "StepFailed"]
    code = meta.get("diagnosis")
    diagnosis: dict[str, Any] | None = None
    if failed:
        diagnosis = _diagnosis_of(failed[-1])
    elif code:
        found = [e for e in with_diagnosis if e["diagnosis"].get("code") == code]
        diagnosis = _diagnosis_of(found[-1]) if found else {"code": code, "message": code}
    warnings: list[dict[str, Any]] = []
    mixups: list[dict[str, Any]] = []
    for entry in with_diagnosis:
        item = _diagnosis_of(entry)
        if entry["diagnosis"].get("token_confusion") and item not in mixups:
            mixups.append(item)
        if entry["diagnosis"].get("severity") == "warning" and item not in [*warnings, diagnosis]:
            warnings.append(item)
    codes = {e["diagnosis"].get("code") for e in with_diagnosis}
    registered = [
        e
        for e in entries
        if e.get("kind") == "StepDone" and e.get("fields", {}).get("step") == "registered"
    ]
    if "reg.discovery_incomplete" in codes:
        mutual = "incomplete"
    elif "reg.discovery_unknown" in codes:
        mutual = "unknown"
    elif registered and "mutual discovery complete" in str(registered[-1].get("message", "")):
        mutual = "complete"
    else:
        mutual = "not reached"
    if kind == "register" and outcome == "succeeded":
        word = "registered" if diagnosis is None else "registered, with a problem"
        headline = f"Registered with {partner}" + (
            "." if diagnosis is None else f", but not healthy: {diagnosis['message']}"
        )
    else:
        word = outcome or "unknown"
        what = "Registration" if kind == "register" else f"The {kind} run"
        headline = f"{what} with {partner} {OUTCOME_WORDS.get(outcome, outcome or 'ended')}"
        headline += f" (at state {state})" if state and state != outcome else ""
        if diagnosis is not None and outcome != "succeeded":
            headline += f": {diagnosis['message']}"
        elif not headline.endswith("."):
            headline += "."
    return {
        "outcome": word,
        "headline": headline,
        "partner": partner,
        "versions_url": outbound[0].get("url") if outbound else None,
        "diagnosis": diagnosis,
        "warnings": warnings,
        "token_mixups": mixups,
        "mutual_discovery": mutual,
        "result": str(registered[-1].get("message", "")) if registered else None,
    }


def _summary_lines(info: dict[str, Any]) -> list[str]:
    """The summary as plain lines (the headline first), for Markdown and HTML."""
    lines = [f"Outcome: {info['outcome']}", f"Partner: {info['partner']}"]
    if info.get("versions_url"):
        lines.append(f"Partner's versions URL: {info['versions_url']}")
    diagnosis = info.get("diagnosis")
    if diagnosis:
        lines.append(f"Problem: {diagnosis['message']} [{diagnosis['code']}]")
        if diagnosis.get("hint"):
            lines.append(f"Fix: {diagnosis['hint']}")
    if info.get("result"):
        lines.append(f"Result: {info['result']}")
    lines.append(f"Mutual discovery: {info['mutual_discovery']}")
    for item in info["token_mixups"]:
        lines.append(f"Token mix-up: {item['message']} [{item['code']}]")
    for item in info["warnings"]:
        lines.append(f"Warning: {item['message']} [{item['code']}]")
    if not info["warnings"]:
        lines.append("Warnings: none")
    return lines


def to_json(entries: list[dict[str, Any]], meta: dict[str, Any], audit: Audit | None = None) -> str:
    data: dict[str, Any] = {
        "meta": meta,
        "summary": summary(entries, meta),
        "entries": ordered(entries),
    }
    if audit:
        data["audit"] = audit
    return json.dumps(data, indent=2, ensure_ascii=False)


def _har_headers(headers: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in headers.items()]


def to_har(entries: list[dict[str, Any]], meta: dict[str, Any], audit: Audit | None = None) -> str:
    """HAR 1.2: outbound and inbound exchanges (inbound marked in `comment`)."""
    har_entries = []
    for entry in ordered(entries):
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
    info = summary(entries, meta)
    out += ["## Summary", "", f"**{info['headline']}**", ""]
    out += [f"- {line}" for line in _summary_lines(info)]
    out += ["", "## Run"]
    for key, value in meta.items():
        out.append(f"- **{key}**: {value}")
    out.append("")
    out.append("Tokens appear only as fingerprints (A·…, B·…, C·…).")
    out.append("")
    for entry in ordered(entries):
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
    info = summary(entries, meta)
    summary_html = (
        f'<section class="summary"><h2>Summary</h2><p class="headline">'
        f"<strong>{esc(info['headline'])}</strong></p><ul>"
        + "".join(f"<li>{esc(line)}</li>" for line in _summary_lines(info))
        + "</ul></section>"
    )
    rows = []
    for entry in ordered(entries):
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
section.summary {{ border: 1px solid #dde2ea; padding: 0 1em 0.5em; margin-bottom: 1em; }}
pre {{ background: #f5f7fa; padding: 8px; overflow-x: auto; }}
{report_export.HTML_STYLE}
</style></head><body>
<h1>OCPI Onboard transcript</h1>
{summary_html}
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
