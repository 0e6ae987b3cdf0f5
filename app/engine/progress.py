"""The run-scoped progress channel: what the engine tells a front end about each run.

One typed stream per engine. Every message carries its run id: `RunStarted(run_id, kind,
partner_id)` when a run's recorder is made, `StepChanged` as the operation moves (a
`StepKey`, the machine state, the fingerprints of the tokens involved), `PartnerCalled`
when the partner calls one of our endpoints (the server knows which), `EntryRecorded` for
each redacted transcript entry (the log pane shows the same record the vault stores and
the exports render) and `RunFinished(run_id, result)` once per run. The GUI's flows read
these; nothing parses log text to learn progress.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.engine.results import RunResult


class StepKey(StrEnum):
    """The steps a person follows in the wizards' checklists."""

    # registration as Sender
    VERSIONS = "versions"
    DETAILS = "details"
    TOKEN_B = "token_b"
    POST = "post"
    THEIR_VERSIONS = "their_versions"
    THEIR_DETAILS = "their_details"
    TOKEN_C = "token_c"
    VERIFY = "verify"
    # invitation as Receiver (TOKEN_C is shared)
    ISSUE = "issue"
    THEIR_READ = "their_read"
    THEIR_POST = "their_post"
    FETCH_VERSIONS = "fetch_versions"
    FETCH_DETAILS = "fetch_details"


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"


class OurEndpoint(StrEnum):
    """Which of our endpoints a partner called."""

    VERSIONS = "versions"
    DETAILS = "details"
    CREDENTIALS = "credentials"
    OTHER = "other"

    @classmethod
    def of(cls, kind: str) -> OurEndpoint:
        try:
            return cls(kind)
        except ValueError:
            return cls.OTHER


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    kind: str
    partner_id: int | None


@dataclass(frozen=True)
class StepChanged:
    """A step moved. `detail` is None to keep the step's detail as it was."""

    run_id: str
    step: StepKey
    status: StepStatus
    state: str = ""  # the machine's state when it moved
    detail: str | None = None
    tokens: tuple[str, ...] = ()  # fingerprints of the tokens involved
    only_open: bool = False  # settle the step only if it is still pending or running


@dataclass(frozen=True)
class PartnerCalled:
    """The partner called our endpoint (the callback server attributed it to this run)."""

    run_id: str
    endpoint: OurEndpoint
    method: str
    token: str | None  # the fingerprint presented ("unknown": a token we did not issue)
    http_status: int
    accepted: bool

    @property
    def presented(self) -> str:
        if self.token == "unknown":
            return "a token we did not issue"
        return self.token or "no token"


@dataclass(frozen=True)
class EntryRecorded:
    """A transcript entry (plain, redacted dict), as the vault stores it."""

    run_id: str
    entry: dict[str, Any]


@dataclass(frozen=True)
class RunFinished:
    run_id: str
    result: RunResult


RunEvent = RunStarted | StepChanged | PartnerCalled | EntryRecorded | RunFinished
RunSink = Callable[[RunEvent], None]


class Channel:
    """The engine's side of the channel: typed messages to one optional listener."""

    def __init__(self, sink: RunSink | None) -> None:
        self.sink = sink
        self._finished: set[str] = set()

    def send(self, event: RunEvent) -> None:
        if self.sink is not None:
            self.sink(event)

    def started(self, run_id: str, kind: str, partner_id: int | None) -> None:
        if self.sink is not None:  # nobody listening: no message to build
            self.sink(RunStarted(run_id, kind, partner_id))

    def step(
        self,
        run_id: str,
        step: StepKey,
        status: StepStatus,
        *,
        state: str = "",
        detail: str | None = None,
        tokens: tuple[str, ...] = (),
        only_open: bool = False,
    ) -> None:
        if self.sink is not None:  # nobody listening: no message to build (~15 a handshake)
            self.sink(StepChanged(run_id, step, status, state, detail, tokens, only_open))

    def finished(self, result: RunResult) -> None:
        """Once per run: an operation that ends inside another is announced once."""
        if result.run_id in self._finished:
            return
        self._finished.add(result.run_id)
        self.send(RunFinished(result.run_id, result))
