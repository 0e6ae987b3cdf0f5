"""The window's connection-health operations: Verify, Accept drift, Suspected compromise,
and the liveness loop while the app runs.

Each operation is a task the controller owns (`Controller.run`), so Cancel, closing the
window and the busy state work as for every other operation. The liveness loop is ticked by
a QTimer; the Qt-free `LivenessScheduler` keeps at most one request per partner in flight,
skips the sandbox and sends nothing while the network is down. Nothing here blocks the UI
thread: every request is a task on the one qasync loop.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.atomic import write_private
from app.core.diagnosis import Diagnosis
from app.engine.health import is_sandbox, outcome_words
from app.engine.liveness import Alive, LivenessScheduler, machine_online, still_alive
from app.gui.controller import Controller
from app.gui.heap import FullPassesAfter
from app.paths import data_dir
from app.vault.facts import latest_runs

if TYPE_CHECKING:  # the main window shows before asyncio loads (issue 13)
    import asyncio

    from app.engine.results import RunResult

TICK_MS = 30_000
# Registered partners read per turn of the loop when a tick lists them: reading 2,000 rows
# and their latest runs at once was a 10-30 ms step every TICK_MS (issue 13).
WATCH_PAGE = 250


# What a person asked for from the health view; `failed` names it so the view can title it.
HealthIntent = Literal["verify", "accept_drift", "compromise"]


class HealthOps(QObject):
    """Verify / accept drift / suspected compromise / liveness for one window."""

    verifyFinished = Signal(int, object)  # partner id, report dict (the CLI's JSON)
    driftAccepted = Signal(int, object)  # partner id, RunResult
    compromiseHandled = Signal(int, object, str)  # partner id, RunResult, incident file
    failed = Signal(str, int, object)  # intent, partner id, Diagnosis
    livenessChanged = Signal(int)  # a partner's still-alive result changed

    def __init__(self, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.incident_dir: Path = data_dir() / "incidents"
        settings = controller.settings_copy()
        minutes = float(getattr(settings, "liveness_minutes", 15) or 0)
        self.liveness = LivenessScheduler(self._probe, minutes, self._on_alive)
        self.is_online: Any = machine_online  # the network's state (replaced in tests)
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        if self.liveness.enabled:
            self.timer.start()
        self._listing: list[int] = []  # a long list of partners, read a page per turn
        self._offset = self._total = 0
        self._page_timer = QTimer(self)
        self._page_timer.setSingleShot(True)
        self._page_timer.setInterval(0)
        self._page_timer.timeout.connect(self._list_page)
        self.full_passes = FullPassesAfter(lambda: self.liveness.busy, self)

    # ---- operations ------------------------------------------------------------------------
    def verify(self, partner_id: int, probe_auth: bool = False) -> asyncio.Future[Any]:
        async def work() -> dict[str, Any]:
            engine = await self.controller.engine()
            report = await engine.verify(partner_id, probe_auth=probe_auth)
            data: dict[str, Any] = report.to_json()
            return data

        return self.controller.run(
            "verify",
            work(),
            on_result=lambda report: self._done(partner_id, self.verifyFinished, report),
            on_error=lambda d: self._failed("verify", partner_id, d),
        )

    def accept_drift(self, partner_id: int) -> asyncio.Future[Any]:
        async def work() -> RunResult:
            engine = await self.controller.engine()
            return await engine.check_drift(partner_id, accept_drift=True)

        def finished(result: RunResult) -> None:
            if result.ok:
                self._done(partner_id, self.driftAccepted, result)
            elif result.diagnosis is not None:
                self._failed("accept_drift", partner_id, result.diagnosis)

        return self.controller.run(
            "manage",
            work(),
            on_result=finished,
            on_error=lambda d: self._failed("accept_drift", partner_id, d),
        )

    def suspected_compromise(self, partner_id: int) -> asyncio.Future[Any]:
        """Rotate now, then write an incident transcript (every run of the partner)."""

        async def work() -> tuple[RunResult, str]:
            engine = await self.controller.engine()
            result = await engine.rotate(partner_id)
            return result, str(self.write_incident(partner_id, result))

        def finished(outcome: tuple[RunResult, str]) -> None:
            result, path = outcome
            self.controller.partner_touched(partner_id)
            self.compromiseHandled.emit(partner_id, result, path)

        return self.controller.run(
            "manage",
            work(),
            on_result=finished,
            on_error=lambda d: self._failed("compromise", partner_id, d),
        )

    def write_incident(self, partner_id: int, rotation: RunResult) -> Path:
        """One HTML file: the rotation's outcome and every run of the partner, redacted."""
        # the exporters (html, the report) load with the first incident, not the window
        from app.core.transcript_export import export, run_meta

        vault = self.controller.vault
        partner = vault.partner(partner_id)
        runs = sorted(vault.runs(partner_id), key=lambda r: r.created)
        entries: list[dict[str, Any]] = []
        for run in runs:
            entries.append(
                {
                    "type": "event",
                    "at": run.created,
                    "kind": "Run",
                    "level": "error" if run.outcome == "failed" else "info",
                    "message": f"Run {run.id[:8]}: {run.kind} {outcome_words(run)} ({run.state})",
                    "fields": {},
                }
            )
            entries.extend(vault.transcript(run.id))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        meta = run_meta(
            rotation.run_id,
            "incident",
            "rotated" if rotation.ok else "rotation failed",
            "succeeded" if rotation.ok else "failed",
            stamp,
            partner.ref,
            rotation.diagnosis.code if rotation.diagnosis else None,
        )
        self.incident_dir.mkdir(parents=True, exist_ok=True)
        target = self.incident_dir / f"incident-{partner.ref}-{stamp}.html"
        write_private(target, export(entries, meta, "html"))
        return target

    def _done(self, partner_id: int, signal: Any, payload: Any) -> None:
        self.controller.partner_touched(partner_id)
        signal.emit(partner_id, payload)

    def _failed(self, intent: HealthIntent, partner_id: int, diagnosis: Diagnosis) -> None:
        self.controller.partner_touched(partner_id)
        self.failed.emit(intent, partner_id, diagnosis)

    # ---- liveness ------------------------------------------------------------------------
    def watched(self, offset: int = 0, limit: int | None = None) -> list[int]:
        """Registered partners, never the sandbox (it lives only in this app)."""
        vault = self.controller.vault
        partners = vault.partners(status="registered", limit=limit, offset=offset)
        facts = latest_runs(vault, [p.id for p in partners if p.id is not None])
        return [p.id for p in partners if p.id is not None and not is_sandbox(facts.get(p.id, {}))]

    @property
    def listing(self) -> bool:
        """A tick is still reading its (long) list of partners."""
        return self._page_timer.isActive()

    def tick(self) -> list[int]:
        """Probe the due partners; returns those queued. More than WATCH_PAGE registered
        partners are read a page per turn of the loop and probed after (returns [])."""
        self.liveness.online = bool(self.is_online())
        if not self.liveness.enabled or not self.liveness.online or self.listing:
            return []
        total = self.controller.vault.count_partners(status="registered")
        if total <= WATCH_PAGE:
            return self._sweep(self.watched())
        self._listing, self._offset, self._total = [], 0, total
        self._page_timer.start()
        return []

    def _list_page(self) -> None:
        """One page of the list; the last one starts the probes (a partner registered in
        the meantime is listed by the next tick; a duplicate is never probed twice)."""
        self._listing += self.watched(self._offset, WATCH_PAGE)
        self._offset += WATCH_PAGE
        if self._offset < self._total:
            self._page_timer.start()
        elif self.liveness.online:
            self._sweep(self._listing)

    def _sweep(self, partner_ids: list[int]) -> list[int]:
        queued = self.liveness.tick(partner_ids)
        self.full_passes.hold()  # full garbage collections wait for the sweep's end
        return queued

    def stop(self) -> None:
        """No more ticks, no more pages, the running probes cancelled (the window closes)."""
        self.timer.stop()
        self._page_timer.stop()
        self.liveness.cancel()
        self.full_passes.release(collect=False)

    async def _probe(self, partner_id: int) -> Alive:
        engine = await self.controller.engine()
        return await still_alive(engine, partner_id)

    def _on_alive(self, partner_id: int, alive: Alive) -> None:
        self.livenessChanged.emit(partner_id)
        self.controller.partner_touched(partner_id)

    async def aclose(self) -> None:
        self.timer.stop()
        self._page_timer.stop()
        self.full_passes.release(collect=False)
        with contextlib.suppress(Exception):
            await self.liveness.stop()
