"""A run's recorder: one Transcript, persisted entry by entry in the vault, fanned out to
the GUI/CLI listeners and the run's progress channel. Events go through here so the log
pane and the export agree."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from app.core.diagnosis import Diagnosis, Severity
from app.core.events import CallbackReceived, DiagnosisRaised, Event, Level, StateChanged
from app.core.tokens import Secret
from app.core.transcript import Entry, Transcript
from app.engine.progress import (
    Channel,
    EntryRecorded,
    OurEndpoint,
    PartnerCalled,
    StepKey,
    StepStatus,
)
from app.vault import Vault

if TYPE_CHECKING:
    from app.callback.server import CallRecord

EventSink = Callable[[Event], None]
EntrySink = Callable[[dict[str, Any]], None]


class RunRecorder:
    def __init__(
        self,
        vault: Vault,
        run_id: str,
        on_event: EventSink | None,
        on_entry: EntrySink | None,
        secrets: list[Secret] | None = None,
        *,
        channel: Channel | None = None,
    ) -> None:
        self.vault = vault
        self.run_id = run_id
        self.channel = channel or Channel(None)
        self.transcript = Transcript(run_id)
        for secret in secrets or []:
            self.transcript.add_secret(secret)
        self._on_event = on_event
        self._on_entry = on_entry
        self._pending: list[Entry] = []
        self._held: list[Callable[[], None]] | None = None  # listeners' calls, see `held`
        self.unattributed = 0  # calls with unknown tokens recorded so far (bounded)
        self.transcript.subscribe(self._persist)

    @property
    def listened(self) -> bool:
        """Someone hears this run's events or progress (a GUI, the CLI's printer)."""
        return self._on_event is not None or self.channel.sink is not None

    def _persist(self, entry: Entry) -> None:
        """Listeners see the entry now (or after a `held` block); the vault gets it with the
        next flush (one commit for many entries: a handshake is about 60 entries)."""
        self._pending.append(entry)
        if len(self._pending) >= 64:
            self.flush()
        if self._held is not None:
            self._held.append(functools.partial(self._tell_entry, entry))
        else:
            self._tell_entry(entry)

    def _tell_entry(self, entry: Entry) -> None:
        if self._on_entry is not None:
            self._on_entry(entry)
        if self.channel.sink is not None:  # nobody listening: no message to build
            self.channel.send(EntryRecorded(self.run_id, entry))

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Listeners hear what is recorded inside the block only when it ends without an
        error: around a commit that stores it, so that whoever hears it finds it stored
        (a registration's last step rides with its outcome's commit; the log pane labels
        the run when it sees that step)."""
        self._held = []
        try:
            yield
        except BaseException:
            self._held = None
            raise
        held, self._held = self._held, None
        for tell in held:
            tell()

    def flush(self) -> None:
        """Write buffered transcript entries in one transaction (at each state change and at
        the end of a run; a crash loses at most the entries since the last state)."""
        if not self._pending:
            return
        entries, self._pending = self._pending, []
        # no fsync of its own; inside a step's commit the entries join it (no savepoint)
        self.vault.append_transcripts(self.run_id, entries, durable=False)

    def add_secret(self, secret: Secret) -> None:
        self.transcript.add_secret(secret)

    def emit(self, event: Event) -> None:
        """Record an event; request/response events are already covered by exchanges."""
        if event.kind not in ("RequestSent", "ResponseReceived"):
            self.transcript.add_event(event)
        if self._on_event is not None:
            if self._held is not None:
                self._held.append(functools.partial(self._on_event, event))
            else:
                self._on_event(event)

    def step(
        self,
        step: StepKey,
        status: StepStatus,
        *,
        state: str = "",
        detail: str | None = None,
        tokens: tuple[str, ...] = (),
        only_open: bool = False,
    ) -> None:
        """A checklist step moved (the progress channel only: the transcript has the events)."""
        self.channel.step(
            self.run_id,
            step,
            status,
            state=state,
            detail=detail,
            tokens=tokens,
            only_open=only_open,
        )

    def state(self, state: str, message: str | None = None, *, flush: bool = True) -> None:
        """A state change; `flush=False` when the caller's next commit carries the entries."""
        self.emit(StateChanged(message or f"State: {state}", state=state))
        if flush:
            self.flush()

    def diagnosis(self, diagnosis: Diagnosis) -> None:
        level = Level.WARNING if diagnosis.severity == Severity.WARNING else Level.ERROR
        self.emit(DiagnosisRaised(diagnosis.message, level, diagnosis=diagnosis))

    def inbound(self, call: CallRecord) -> None:
        """The partner called our endpoint: an exchange in the transcript, plus an event."""
        self.transcript.add_exchange(
            direction="inbound",
            method=call.method,
            url=call.path,
            request_headers=call.request_headers,
            request_body=call.request_body,
            status=call.status,
            response_headers={"content-type": "application/json"},
            response_body=call.response_body,
            started=call.at,
            elapsed_ms=call.elapsed_ms,
            token=call.token,
        )
        verdict = "accepted" if call.accepted else f"refused ({call.status})"
        level = Level.INFO if call.accepted else Level.WARNING
        self.emit(
            CallbackReceived(
                f"Partner called our {call.kind} endpoint with {call.token or 'no token'}"
                f" ({call.encoding}): {verdict}",
                level,
                method=call.method,
                path=call.path,
                token=call.token,
                http_status=call.status,
                accepted=call.accepted,
            )
        )
        if self.channel.sink is not None:  # nobody listening: no message to build
            self.channel.send(
                PartnerCalled(
                    self.run_id,
                    OurEndpoint.of(call.kind),
                    call.method,
                    call.token,
                    call.status,
                    call.accepted,
                )
            )
        for diagnosis in call.diagnoses:
            self.diagnosis(diagnosis)
