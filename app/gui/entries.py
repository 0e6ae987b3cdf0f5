"""Reading transcript entries (plain, already-redacted dicts) for display: Qt-free.

One place that knows the entry shapes of app.core.transcript: the level an entry is shown
at, a one-line summary, whether it carries a token-confusion diagnosis and the explanation
in plain words. Progress is not read from here: the engine's progress channel carries it,
typed (app/engine/progress.py).
"""

from __future__ import annotations

import json
from typing import Any

Entry = dict[str, Any]
LEVELS = ("debug", "info", "warning", "error")


def level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 1


def is_exchange(entry: Entry) -> bool:
    return entry.get("type") == "exchange"


def status_of(entry: Entry) -> int | None:
    status = entry.get("response", {}).get("status")
    return status if isinstance(status, int) else None


def entry_level(entry: Entry) -> str:
    if not is_exchange(entry):
        return str(entry.get("level", "info"))
    status = status_of(entry)
    if status is None or entry.get("error"):
        return "error"
    if status >= 400:
        return "warning" if entry.get("direction") == "inbound" else "error"
    return "info"


def diagnosis_of(entry: Entry) -> dict[str, Any] | None:
    diagnosis = entry.get("diagnosis")
    return diagnosis if isinstance(diagnosis, dict) else None


def is_confusion(entry: Entry) -> bool:
    diagnosis = diagnosis_of(entry)
    return bool(diagnosis and diagnosis.get("token_confusion"))


def summary(entry: Entry) -> str:
    """One line, as the log pane shows it (tokens only as fingerprints)."""
    if entry.get("type") == "report":
        counts = (entry.get("report") or {}).get("summary") or {}
        shown = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("pass", "warn", "fail", "skip"))
        return f"{str(entry.get('kind', 'run')).capitalize()} report: {shown}"
    if not is_exchange(entry):
        return str(entry.get("message", ""))
    inbound = entry.get("direction") == "inbound"
    arrow = "←" if inbound else "→"
    who = "partner called us" if inbound else "we called"
    status = status_of(entry)
    if status is None:
        tail = f"no answer ({entry.get('error') or 'failed'})"
    else:
        tail = f"HTTP {status}"
        if entry.get("ocpi_status"):
            tail += f", OCPI {entry['ocpi_status']}"
    token = entry.get("token") or "no token"
    if token == "unknown":
        token = "a token we did not issue"
    return f"{arrow} {entry.get('method', '')} {entry.get('url', '')}  [{who}, {token}]  {tail}"


def explanation(entry: Entry) -> str:
    """The diagnosis in plain words with its suggested fix ('' if none)."""
    diagnosis = diagnosis_of(entry)
    if not diagnosis:
        return ""
    lead = "Token confusion. " if diagnosis.get("token_confusion") else ""
    return f"{lead}{diagnosis.get('message', '')}\nWhat to do: {diagnosis.get('hint', '')}"


def details(entry: Entry) -> str:
    """Headers and bodies of an exchange (already redacted), for the detail panel."""
    if not is_exchange(entry):
        fields = entry.get("fields") or {}
        shown = {k: v for k, v in fields.items() if v not in (None, "", [], {})}
        return json.dumps(shown, indent=2, ensure_ascii=False) if shown else ""
    parts = []
    for label in ("request", "response"):
        part = entry.get(label) or {}
        headers = "\n".join(f"{k}: {v}" for k, v in (part.get("headers") or {}).items())
        body = part.get("body") or ""
        parts.append(f"{label.upper()}\n{headers}\n\n{body}".rstrip())
    return "\n\n".join(parts)
