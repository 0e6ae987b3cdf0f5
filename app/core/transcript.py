"""THE record of a run: redacted entries of every request, response and event, both ways.

The log pane shows it, the vault stores it and the exports (transcript_export.py) write it.
Entries are plain dicts (JSON-ready) and are redacted on the way in, so nothing downstream
can leak a token. Subscribers are told of each new entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from app.core.diagnosis import Diagnosis
from app.core.events import Event, field_names
from app.core.redact import Redactor
from app.core.stamps import iso_millis
from app.core.tokens import Secret

Entry = dict[str, Any]
_EVENT_BASE = frozenset({"message", "level", "at", "kind"})  # an event entry's own keys


def iso_time(epoch: float) -> str:
    """``2026-12-03T12:00:00.123Z`` (milliseconds, truncated; every transcript entry has
    one: `iso_millis` formats each second once)."""
    return iso_millis(epoch)


class Transcript:
    """Append-only, redacted record of one run."""

    def __init__(self, run_id: str = "", redactor: Redactor | None = None) -> None:
        self.run_id = run_id
        self.redactor = redactor or Redactor()
        self.entries: list[Entry] = []
        self._subscribers: list[Callable[[Entry], None]] = []
        self.started = time.time()

    def subscribe(self, callback: Callable[[Entry], None]) -> None:
        self._subscribers.append(callback)

    def add_secret(self, secret: Secret) -> None:
        self.redactor.add(secret)

    def _append(self, entry: Entry) -> Entry:
        entry["seq"] = len(self.entries) + 1
        self.entries.append(entry)
        for callback in list(self._subscribers):
            callback(entry)
        return entry

    def add_exchange(
        self,
        *,
        direction: str,
        method: str,
        url: str,
        request_headers: Mapping[str, str],
        request_body: bytes | str | None,
        status: int | None,
        response_headers: Mapping[str, str] | None,
        response_body: bytes | str | None,
        started: float,
        elapsed_ms: float,
        token: str | None = None,
        ocpi_status: int | None = None,
        error: str | None = None,
        note: str | None = None,
    ) -> Entry:
        """Record one HTTP exchange; `direction` is 'outbound' (we call) or 'inbound'."""
        red = self.redactor
        entry: Entry = {
            "type": "exchange",
            "direction": direction,
            "at": iso_time(started),
            "method": method,
            "url": red.text(url),
            "token": token,
            "request": {
                "headers": red.headers(request_headers),
                "body": red.body(request_body),
            },
            "response": {
                "status": status,
                "headers": red.headers(response_headers or {}),
                "body": red.body(response_body),
            },
            "ocpi_status": ocpi_status,
            "elapsed_ms": round(elapsed_ms, 1),
        }
        if error:
            entry["error"] = red.text(error)
        if note:
            entry["note"] = red.text(note)
        return self._append(entry)

    def add_event(self, event: Event) -> Entry:
        """An event as an entry: its own fields (redacted) beside message, level and time;
        read straight from the event (no `to_dict` copy: ~25 events a handshake)."""
        red = self.redactor
        shortest = red._shortest  # a text shorter than any secret form is kept as is
        fields: dict[str, Any] = {}
        diagnosis: Any = None
        for key in field_names(type(event)):
            if key in _EVENT_BASE:
                continue
            value = getattr(event, key)
            if key == "diagnosis":
                diagnosis = value
            elif isinstance(value, str):
                fields[key] = value if len(value) < shortest else red.text(value)
            elif value is None or isinstance(value, int | float):
                fields[key] = value
            else:
                fields[key] = red.json(value)
        entry: Entry = {
            "type": "event",
            "at": iso_time(event.at),
            "kind": event.kind,
            "level": str(event.level),
            "message": red.text(event.message),
            "fields": fields,
        }
        if isinstance(diagnosis, Diagnosis):
            entry["diagnosis"] = {
                "code": diagnosis.code,
                "message": red.text(diagnosis.message),
                "hint": diagnosis.hint,
                "severity": str(diagnosis.severity),
                "token_confusion": diagnosis.token_confusion,
            }
        elif diagnosis:
            entry["diagnosis"] = {
                "code": diagnosis["code"],
                "message": red.text(diagnosis["message"]),
                "hint": diagnosis["hint"],
                "severity": str(diagnosis["severity"]),
                "token_confusion": diagnosis["token_confusion"],
            }
        return self._append(entry)

    def add_report(self, kind: str, report: Mapping[str, Any]) -> Entry:
        """A run's report (a verify run's checks): every export format renders it."""
        entry: Entry = {
            "type": "report",
            "at": iso_time(time.time()),
            "kind": kind,
            "report": self.redactor.json(dict(report)),
        }
        return self._append(entry)
