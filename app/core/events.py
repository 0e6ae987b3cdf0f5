"""Typed events the engine reports: one source for the transcript, the log pane and the CLI.

Every event is already redacted: tokens appear only as fingerprints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from app.core.diagnosis import Diagnosis


class Level(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(cls: type) -> tuple[str, ...]:
    """An event class's field names in order, looked up once per class (`fields()` builds
    its tuple on every call, and a handshake records ~25 events)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


@dataclass(frozen=True)
class Event:
    """Base of every engine event; `message` is a one-line human summary (redacted)."""

    message: str
    level: Level = Level.INFO
    at: float = field(default_factory=time.time)

    @property
    def kind(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        """A shallow, JSON-ready dict (asdict's deep copy cost ~0.1 ms an event)."""
        data: dict[str, Any] = {name: getattr(self, name) for name in field_names(type(self))}
        diagnosis = data.get("diagnosis")
        if isinstance(diagnosis, Diagnosis):
            data["diagnosis"] = {
                "code": diagnosis.code,
                "message": diagnosis.message,
                "hint": diagnosis.hint,
                "severity": diagnosis.severity,
                "token_confusion": diagnosis.token_confusion,
                "detail": diagnosis.detail,
            }
        data["kind"] = self.kind
        return data


@dataclass(frozen=True)
class StepStarted(Event):
    step: str = ""


@dataclass(frozen=True)
class StepDone(Event):
    step: str = ""


@dataclass(frozen=True)
class StepFailed(Event):
    step: str = ""
    diagnosis: Diagnosis | None = None


@dataclass(frozen=True)
class RequestSent(Event):
    """An outbound request (we call the partner). `token` is the fingerprint presented."""

    method: str = ""
    url: str = ""
    token: str | None = None
    exchange_id: str = ""


@dataclass(frozen=True)
class ResponseReceived(Event):
    method: str = ""
    url: str = ""
    http_status: int | None = None
    ocpi_status: int | None = None
    elapsed_ms: float = 0.0
    exchange_id: str = ""


@dataclass(frozen=True)
class CallbackReceived(Event):
    """An inbound request: the partner called our endpoint. `token` is the fingerprint seen."""

    method: str = ""
    path: str = ""
    token: str | None = None
    http_status: int = 0
    accepted: bool = False


@dataclass(frozen=True)
class DiagnosisRaised(Event):
    """A diagnosis worth showing on its own (warnings included, e.g. a tolerated encoding)."""

    diagnosis: Diagnosis | None = None


@dataclass(frozen=True)
class StateChanged(Event):
    """The run's state machine moved (new -> versions_fetched -> ...)."""

    state: str = ""
