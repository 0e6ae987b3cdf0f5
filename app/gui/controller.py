"""The controller: owns the Engine and every asyncio task of the window (one qasync loop).

Widgets call plain methods here; each starts a task that the controller keeps, cancels on
request (Cancel, a new task of the same intent, closing the window) and reports through Qt
signals. The engine's typed, run-scoped progress channel (app/engine/progress.py) leaves as
signals: runStarted, entryAdded (the transcript record the log pane shows), progressed
(steps, calls of the partner) and runFinished. The GUI reads records from the vault; every
change goes through the engine.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Coroutine
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.core.diagnosis import Diagnosis, OnboardingError
from app.core.tokens import Secret
from app.engine.health import Health, mark_sandbox_run, partners_health
from app.engine.rows import Offers, abandon_run, live_twin
from app.engine.rows import forget as forget_row
from app.engine.rows import offers as row_offers
from app.settings import Settings, save_settings
from app.vault import AuditCheck, AuditEvent, CredentialRecord, PartnerRecord, RunRecord, Vault

if TYPE_CHECKING:  # loaded by engine(): the HTTP stack, pydantic, the OCPI core (issue 13)
    import asyncio  # (and asyncio loads with the loop, after the window's first paint)

    from app.engine.engine import Engine
    from app.engine.progress import RunEvent
    from app.engine.results import CallbackSettings, RunResult

ResultHandler = Callable[[Any], None]
ErrorHandler = Callable[[Diagnosis], None]
AHEAD = "ahead:"  # the intents of work done ahead (not shown busy, not the person's)
AHEAD_RESTORE = "ahead:restore"  # the endpoint's registered partners' tokens
AHEAD_WARM = "ahead:warm"  # what the first handshake loads (`Engine.warm_up`)

ENGINE_BUSY = Diagnosis(
    "gui.engine_busy",
    "Another operation (an invitation waiting, a check) still uses our endpoint in the other mode.",
    "Let it finish or cancel it, then start this registration again.",
)


class Controller(QObject):
    """Owns the engine and the tasks; the window's one door to the engine and the vault."""

    runStarted = Signal(str, str)  # run id, kind
    entryAdded = Signal(str, object)  # run id, transcript entry (dict, redacted)
    progressed = Signal(object)  # app.engine.progress.StepChanged | PartnerCalled (run id inside)
    runFinished = Signal(str, object)  # run id, RunResult
    partnersChanged = Signal()  # anything may have changed: reload the list
    partnerChanged = Signal(int)  # this partner's row (and its tokens or runs) changed
    busyChanged = Signal(bool)
    operationFinished = Signal(str, object)  # intent, RunResult
    operationFailed = Signal(str, object)  # intent, Diagnosis
    settingsChanged = Signal()
    endpointChanged = Signal(str)  # our versions URL
    auditChanged = Signal()  # a new audit event (reveal, copy, export) was recorded
    colleagueChanged = Signal(object)  # team vault: a colleague changed a partner (id | None)

    def __init__(
        self,
        vault: Vault,
        settings: Settings,
        *,
        settings_path: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.vault = vault
        self.settings = settings
        self.settings_path = settings_path
        self._engine: Engine | None = None
        self._engine_key: tuple[Any, ...] | None = None
        self._engine_lock: asyncio.Lock | None = None  # made on first use, in the loop
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._closing = False
        self._run_partner: dict[str, int | None] = {}
        self.owned_runs: set[str] = set()  # runs an open wizard still drives
        # The vault calls back from its listener thread; the signal queues it to this thread.
        self.colleagueChanged.connect(self._on_colleagueChanged)
        self._stop_watch = vault.watch(self.colleagueChanged.emit)

    def _on_colleagueChanged(self, partner_id: int | None) -> None:
        if partner_id is None:
            self.partnersChanged.emit()
        else:
            self.partnerChanged.emit(int(partner_id))
        self.auditChanged.emit()

    # ---- engine ------------------------------------------------------------------------
    def _key(self, callback: CallbackSettings) -> tuple[Any, ...]:
        s = self.settings
        token_b = callback.token_b.fingerprint if callback.token_b else None
        return (
            s.country_code,
            s.party_id,
            tuple(s.roles),
            s.business_name,
            s.website,
            s.ca_bundle,
            s.allow_insecure,
            s.request_timeout,
            s.post_timeout,
            callback.mode,
            callback.listen_host,
            callback.listen_port,
            callback.public_url,
            callback.own_versions_url,
            token_b,
        )

    @property
    def engine_or_none(self) -> Engine | None:
        return self._engine

    async def engine(self, callback: CallbackSettings | None = None) -> Engine:
        """The started engine for these callback settings (default: embedded, from settings).

        A change of settings builds a new engine, but only while no other task uses the old.
        """
        import asyncio

        wanted = callback or self.settings.callback()
        if self._engine_lock is None:
            self._engine_lock = asyncio.Lock()
        async with self._engine_lock:
            key = self._key(wanted)
            if self._engine is not None and self._engine_key != key:
                if self._idle_except_current():
                    old, self._engine = self._engine, None
                    had_sandboxes = bool(old.running_sandboxes())
                    await old.aclose()
                    if had_sandboxes:  # its sandbox partners just went offline
                        self.partnersChanged.emit()
                elif callback is not None and callback.mode != self._engine.callback_settings.mode:
                    raise OnboardingError(ENGINE_BUSY)
            if self._engine is None:
                # The engine's module (httpx, pydantic, the OCPI core) loads here, on first
                # use: the window draws its partners list from the vault without it.
                from app.engine.engine import Engine

                engine = Engine(
                    self.vault,
                    self.settings.identity(),
                    http=self.settings.http(),
                    callback=wanted,
                    on_run=self._on_engine_run,
                )
                try:
                    await engine.start()
                except BaseException:  # cancelled or failed half-way: nothing left listening
                    await asyncio.shield(engine.aclose())
                    raise
                self._engine, self._engine_key = engine, key
                if engine.embedded:
                    self.endpointChanged.emit(engine.our_versions_url)
            return self._engine

    @property
    def closing(self) -> bool:
        """The window is closing (or closed): nothing new should start."""
        return self._closing

    def warm_up(self) -> None:
        """Start the engine in the background (so our endpoint's URL is known early)."""
        if self._engine is None and not self.busy("engine") and not self._closing:
            self.run("engine", self.engine())

    def restore_ahead(self) -> asyncio.Future[Any] | None:
        """Our endpoint's registered partners' tokens restored now, a slice per turn of the
        loop (`EngineContext.restore_ahead`), not in one piece at the first call in. Not
        a person's work: the window does not show it as busy. Without a started engine
        nothing is done (None): the first use restores them. Returns its task."""
        engine = self._engine
        if engine is not None and not self._closing:
            return self.run(AHEAD_RESTORE, engine.restore_ahead())
        return None

    def warm_ahead(self) -> None:
        """What the session's first handshake loads (the sandbox partner's modules, the
        first client's TLS context) loaded now on threads (`Engine.warm_up`), not on the
        loop's thread mid-handshake. Not shown as busy; without a started engine nothing
        is done: the first handshake loads them."""
        engine = self._engine
        if engine is not None and not self._closing:
            self.run(AHEAD_WARM, self._warm_after_restore(engine))

    async def _warm_after_restore(self, engine: Engine) -> bool:
        """`Engine.warm_up`, once a restore ahead still running has ended. Its slices read
        the vault on the loop's thread, and each SQLite step lets the interpreter lock go:
        the warm-up's imports on their thread took it each time, and a slice of ~4 ms
        took 8-15 ms with the window late 20-50 ms (issue 13). On a quick machine the
        restore is long over by the warm-up's time; on a slow one they ran together."""
        import asyncio

        restoring = self._tasks.get(AHEAD_RESTORE)
        if restoring is not None and not restoring.done():
            await asyncio.wait({restoring})  # its end, however it ends (never raises)
        return await engine.warm_up()

    def _idle_except_current(self) -> bool:
        import asyncio

        current = asyncio.current_task()
        return not any(
            t is not current and not t.done() and not name.startswith(AHEAD)
            for name, t in self._tasks.items()
        )

    def _on_engine_run(self, event: RunEvent) -> None:
        """The engine's progress channel, as signals tagged with the run id."""
        # (loaded with the engine: the partners list draws without the engine's types)
        from app.engine.progress import (
            EntryRecorded,
            PartnerCalled,
            RunFinished,
            RunStarted,
            StepChanged,
        )

        if isinstance(event, EntryRecorded):
            self.entryAdded.emit(event.run_id, event.entry)
            if event.entry.get("kind") in ("StepDone", "StepFailed"):
                self.partner_touched(self._run_partner.get(event.run_id))
        elif isinstance(event, StepChanged | PartnerCalled):
            self.progressed.emit(event)
        elif isinstance(event, RunStarted):
            self._run_partner[event.run_id] = event.partner_id
            self.runStarted.emit(event.run_id, event.kind)
            self.partner_touched(event.partner_id)
        elif isinstance(event, RunFinished):
            self.runFinished.emit(event.run_id, event.result)

    def partner_touched(self, partner_id: int | None) -> None:
        """Tell the views that one partner changed (all of them if unknown)."""
        if partner_id is None:
            self.partnersChanged.emit()
        else:
            self.partnerChanged.emit(partner_id)

    # ---- tasks -----------------------------------------------------------------------------
    def run(
        self,
        intent: str,
        coro: Coroutine[Any, Any, Any],
        *,
        on_result: ResultHandler | None = None,
        on_error: ErrorHandler | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> asyncio.Future[Any]:
        """Start `coro` as the task for `intent`, cancelling the previous one of that intent.

        The result goes to `on_result`; an OnboardingError's diagnosis to `on_error` (else
        the operationFailed signal); anything else to sys.excepthook (a dialog in the app).
        """
        import asyncio  # the loop runs by now: the window starts it after its first paint

        if self._closing:  # a late clean-up while the window closes: nothing more starts
            coro.close()
            late: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            late.cancel()
            return late
        self.cancel(intent)
        task = asyncio.ensure_future(coro)
        self._tasks[intent] = task
        self.busyChanged.emit(self.busy())  # (background work, cleanup or ahead, is not shown)

        def done(finished: asyncio.Task[Any]) -> None:
            if self._tasks.get(intent) is finished:
                del self._tasks[intent]
            self.busyChanged.emit(self.busy())
            if finished.cancelled():
                if on_cancel is not None:
                    on_cancel()
                return
            exc = finished.exception()
            if exc is None:
                if on_result is not None:
                    on_result(finished.result())
                return
            if isinstance(exc, OnboardingError):
                if on_error is not None:
                    on_error(exc.diagnosis)
                else:
                    self.operationFailed.emit(intent, exc.diagnosis)
                return
            sys.excepthook(type(exc), exc, exc.__traceback__)

        task.add_done_callback(done)
        return task

    def cancel(self, intent: str) -> bool:
        task = self._tasks.get(intent)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def busy(self, intent: str | None = None) -> bool:
        if intent is not None:
            task = self._tasks.get(intent)
            return task is not None and not task.done()
        return any(
            not t.done() and not name.startswith(("cleanup", AHEAD))
            for name, t in self._tasks.items()
        )

    async def aclose(self) -> None:
        """Cancel every task (clean-ups finish first), then stop the engine."""
        import asyncio

        self._closing = True
        self._stop_watch()
        cleanups = [t for name, t in self._tasks.items() if name.startswith("cleanup")]
        if cleanups:
            await asyncio.gather(*cleanups, return_exceptions=True)
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._engine is not None:
            engine, self._engine = self._engine, None
            with contextlib.suppress(Exception):
                await engine.aclose()

    # ---- operations on registered partners -------------------------------------------------
    def _manage(self, kind: str, partner_id: int) -> asyncio.Future[Any]:
        async def work() -> RunResult:
            engine = await self.engine()
            method = getattr(engine, kind)
            result: RunResult = await method(partner_id)
            return result

        def finished(result: RunResult) -> None:
            self.partner_touched(partner_id)
            if result.ok or result.diagnosis is None:
                self.operationFinished.emit(kind, result)
            else:
                self.operationFailed.emit(kind, result.diagnosis)

        def failed(diagnosis: Diagnosis) -> None:
            self.partner_touched(partner_id)
            self.operationFailed.emit(kind, diagnosis)

        return self.run("manage", work(), on_result=finished, on_error=failed)

    def rotate(self, partner_id: int) -> asyncio.Future[Any]:
        return self._manage("rotate", partner_id)

    def unregister(self, partner_id: int) -> asyncio.Future[Any]:
        return self._manage("unregister", partner_id)

    def check(self, partner_id: int) -> asyncio.Future[Any]:
        return self._manage("check", partner_id)

    def cleanup_run(self, run_id: str) -> None:
        """Close a run left open (a discovery without registration, an unanswered invite).

        Synchronous and without the network (app.engine.rows.abandon_run): it must hold even
        when the window is closing and no task may start any more.
        """
        run = self.run_record(run_id)
        if run is None or run.outcome != "running":
            return
        ended = abandon_run(self.vault, run_id)
        engine = self._engine
        if (
            engine is not None
            and run.partner_id is not None
            and ended.outcome == "cancelled"
            and run.kind == "invite"
        ):
            engine.forget_partner(run.partner_id)
        self.partner_touched(run.partner_id)

    # ---- rows that did not end well (app.engine.rows) --------------------------------------
    def offers(self, partner: PartnerRecord) -> Offers:
        """Retry / Resume / Forget for a failed or unfinished row (none while a task runs)."""
        return row_offers(self.vault, partner, frozenset(self.owned_runs))

    def forget(self, partner_id: int) -> None:
        """Retire the row's live tokens and end its runs; recorded in its history."""
        forget_row(self.vault, partner_id)
        engine = self._engine
        if engine is not None:
            engine.forget_partner(partner_id)
        self.partner_touched(partner_id)

    def resume(self, run_id: str) -> asyncio.Future[Any]:
        """The engine's recovery of a run that stopped mid-way (probes TOKEN_A after a POST)."""
        run = self.run_record(run_id)
        partner_id = run.partner_id if run is not None else None

        async def work() -> RunResult:
            engine = await self.engine()
            result: RunResult = await engine.recover(run_id, "resume")
            return result

        def finished(result: RunResult) -> None:
            self.partner_touched(partner_id)
            self.partner_touched(result.partner_id)
            if result.ok or result.diagnosis is None:
                self.operationFinished.emit("resume", result)
            else:
                self.operationFailed.emit("resume", result.diagnosis)

        def failed(diagnosis: Diagnosis) -> None:
            self.partner_touched(partner_id)
            self.operationFailed.emit("resume", diagnosis)

        return self.run("manage", work(), on_result=finished, on_error=failed)

    def mark_sandbox(self, run_id: str) -> None:
        """The partner of this run is a demo that lives only inside this app (health)."""
        mark_sandbox_run(self.vault, run_id)

    def live_twin(
        self, versions_url: str, country_code: str = "", party_id: str = ""
    ) -> PartnerRecord | None:
        """A working registration that onboarding this URL (or identity) would replace."""
        return live_twin(self.vault, versions_url, country_code, party_id)

    # ---- settings ----------------------------------------------------------------------------
    def apply_settings(self, settings: Settings) -> None:
        """Keep and save new settings; the engine is rebuilt on its next use if idle."""
        self.settings = settings
        save_settings(settings, self.settings_path)
        self.settingsChanged.emit()
        if self._engine is not None and not self.busy():
            self.run("engine", self.engine())

    def settings_copy(self) -> Settings:
        return Settings(**asdict(self.settings))

    # ---- reading the vault ---------------------------------------------------------------------
    def partners(self) -> list[PartnerRecord]:
        return self.vault.partners()

    def partner(self, partner_id: int) -> PartnerRecord | None:
        try:
            return self.vault.partner(partner_id)
        except OnboardingError:
            return None

    def health(self, partners: list[PartnerRecord]) -> dict[int, Health]:
        """Each partner's health (app.engine.health): the same verdict as `peers --json`,
        plus what only this process knows: which sandbox partners are still running."""
        engine = self._engine
        running = engine.running_sandboxes() if engine is not None else []
        return partners_health(
            self.vault,
            partners,
            running,
            extra=self.health_extra(partners),
            active_runs=self.owned_runs,
        )

    def health_extra(self, partners: list[PartnerRecord]) -> Any:
        """Findings only the window's health operations know (app/gui/health_ui.py)."""
        return None

    def partner_health(self, partner: PartnerRecord) -> Health:
        assert partner.id is not None
        return self.health([partner])[partner.id]

    def credentials(self, partner_id: int) -> list[CredentialRecord]:
        return self.vault.tokens(partner_id)

    def runs(self, partner_id: int | None = None) -> list[RunRecord]:
        return self.vault.runs(partner_id=partner_id)

    def run_record(self, run_id: str) -> RunRecord | None:
        try:
            return self.vault.run(run_id)
        except OnboardingError:
            return None

    def transcript(self, run_id: str) -> list[dict[str, Any]]:
        return self.vault.transcript(run_id)

    def reveal(self, cred_id: int, action: str = "reveal") -> Secret:
        """The one explicit decryption, for Reveal and Copy (`action`): audited."""
        value = self.vault.disclose(cred_id, action)
        self.auditChanged.emit()
        return value

    def audit_events(
        self, partner_id: int | None = None, run_id: str | None = None
    ) -> list[AuditEvent]:
        """The audit trail (all, one partner's or one run's), oldest first."""
        return self.vault.audit.events(partner_id=partner_id, run_id=run_id)

    def verify_audit(self) -> AuditCheck:
        return self.vault.audit.verify()

    def audit_transcript_export(self, run: RunRecord) -> list[dict[str, Any]]:
        """Record that a run's transcript is exported; the run's audit lines for the file."""
        self.vault.audit.record("transcript-export", partner_id=run.partner_id, run_id=run.id)
        self.auditChanged.emit()
        return [event.to_json() for event in self.vault.audit.events(run_id=run.id)]
