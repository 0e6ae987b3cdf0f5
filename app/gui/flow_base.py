"""The state a wizard page draws: a phase, a checklist of steps, the diagnosis, and the
one run it follows on the controller's progress signals (app/engine/progress.py, typed).

A step moves only when the engine says so (`StepChanged`) or the partner calls our endpoint
(`PartnerCalled`, which the concrete flow places in its checklist).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.core.diagnosis import Diagnosis
from app.engine.progress import PartnerCalled, StepChanged, StepStatus
from app.gui import entries as E
from app.gui.controller import Controller


class Phase(StrEnum):
    IDLE = "idle"
    BUSY = "busy"  # discovering / issuing
    READY = "ready"  # discovered / issued
    RUNNING = "running"  # registering / waiting for the partner
    DONE = "done"
    FAILED = "failed"


StepState = StepStatus  # the engine's step states are the checklist's
OPEN = (StepStatus.PENDING, StepStatus.RUNNING)


@dataclass
class Step:
    key: str
    label: str
    state: StepState = StepState.PENDING
    detail: str = ""

    def set(self, state: StepState, detail: str | None = None) -> None:
        self.state = state
        if detail is not None:
            self.detail = detail


class Flow(QObject):
    """A wizard's run as the page draws it; follows its run on the progress channel."""

    changed = Signal()

    def __init__(self, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.phase = Phase.IDLE
        self.diagnosis: Diagnosis | None = None
        self.run_id: str | None = None
        self.steps: list[Step] = []
        self.confusions: list[dict[str, Any]] = []  # token mix-ups seen in this run
        controller.entryAdded.connect(self._on_controller_entryAdded)
        controller.progressed.connect(self._on_controller_progressed)

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)

    def _on_controller_entryAdded(self, run_id: str, entry: dict[str, Any]) -> None:
        """The run's record: token mix-ups it diagnosed are shown next to the checklist."""
        if not run_id or run_id != self.run_id:
            return
        diagnosis = E.diagnosis_of(entry)
        codes = {seen.get("code") for seen in self.confusions}
        if diagnosis and diagnosis.get("token_confusion") and diagnosis.get("code") not in codes:
            self.confusions.append(diagnosis)
            self.changed.emit()

    def _on_controller_progressed(self, event: StepChanged | PartnerCalled) -> None:
        if not event.run_id or event.run_id != self.run_id:
            return
        if isinstance(event, StepChanged):
            step = self.step(event.step)
            if not event.only_open or step.state in OPEN:
                step.set(event.status, event.detail)
        else:
            self.on_call(event)
        self.changed.emit()

    def on_call(self, call: PartnerCalled) -> None:  # pragma: no cover - overridden
        pass

    def close(self) -> None:
        """The wizard is gone: stop following the run (tasks may still finish)."""
        self.controller.entryAdded.disconnect(self._on_controller_entryAdded)
        self.controller.progressed.disconnect(self._on_controller_progressed)
        if self.run_id is not None:
            self.controller.owned_runs.discard(self.run_id)

    def _adopt(self, run_id: str) -> None:
        """This flow's run: the window keeps it out of the rows' Retry/Resume offers."""
        if self.run_id is not None:
            self.controller.owned_runs.discard(self.run_id)
        self.run_id = run_id
        self.controller.owned_runs.add(run_id)

    def _fail(self, diagnosis: Diagnosis) -> None:
        self.phase = Phase.FAILED
        self.diagnosis = diagnosis
        self._stop_running(diagnosis.message)
        self.changed.emit()

    def _stop_running(self, reason: str) -> None:
        """The first running step failed with `reason`; the others were not reached. Refused
        before any step began (bad input): the first step is the one that failed."""
        if not any(step.state == StepState.RUNNING for step in self.steps):
            pending = next((s for s in self.steps if s.state == StepState.PENDING), None)
            if pending is not None:
                pending.set(StepState.FAILED, reason)
            return
        first = True
        for step in self.steps:
            if step.state != StepState.RUNNING:
                continue
            if first:
                step.set(StepState.FAILED, reason)
                first = False
            else:
                step.set(StepState.SKIPPED, "not reached")
