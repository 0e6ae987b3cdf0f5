"""A wizard's checklist of steps (icon, label, detail; running rows spin).

Its own module (issue 13, start-up): it draws the engine's step states, so it loads the
engine's progress types (and the flows), which the main window and its partners list do
not need; only the wizards import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from app.gui.flow_base import Step, StepState
from app.gui.theme import mono_font
from app.gui.widgets import set_prop

ICONS = {
    StepState.PENDING: "○",
    StepState.DONE: "✓",
    StepState.FAILED: "✗",
    StepState.WARNING: "!",
    StepState.SKIPPED: "–",
}
SPINNER = "◐◓◑◒"


class StepChecklist(QWidget):
    """Rows of (icon, label, detail) for a flow's steps; running rows spin."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(10)
        self._grid.setVerticalSpacing(6)
        self._grid.setColumnStretch(1, 1)
        self._rows: dict[str, tuple[QLabel, QLabel, QLabel]] = {}
        self._states: dict[str, StepState] = {}
        self._shown: dict[str, tuple[str, StepState, str]] = {}
        self._frame = 0
        self._spin = QTimer(self)
        self._spin.setInterval(150)
        self._spin.timeout.connect(self._on_spin_timeout)
        self.setAccessibleName("Progress")

    def set_steps(self, steps: Sequence[Step], keys: Iterable[str] | None = None) -> None:
        wanted = set(keys) if keys is not None else None
        for step in steps:
            if wanted is not None and step.key not in wanted:
                continue
            if step.key not in self._rows:
                row = len(self._rows)
                icon, label, detail = QLabel(), QLabel(step.label), QLabel()
                icon.setObjectName("CheckIcon")
                icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
                label.setWordWrap(True)
                detail.setObjectName("Muted")
                detail.setFont(mono_font())
                detail.setWordWrap(True)
                detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self._grid.addWidget(icon, row * 2, 0, Qt.AlignmentFlag.AlignTop)
                self._grid.addWidget(label, row * 2, 1)
                self._grid.addWidget(detail, row * 2 + 1, 1)
                self._rows[step.key] = (icon, label, detail)
            shown = (step.label, step.state, step.detail)
            if self._shown.get(step.key) == shown:
                continue  # unchanged: touch nothing (no relayout, no repaint)
            self._shown[step.key] = shown
            icon, label, detail = self._rows[step.key]
            label.setText(step.label)
            self._states[step.key] = step.state
            set_prop(icon, "state", str(step.state))
            icon.setText(ICONS.get(step.state, SPINNER[self._frame]))
            detail.setText(step.detail)
            detail.setVisible(bool(step.detail))
            bold = step.state == StepState.RUNNING
            if label.font().bold() != bold:
                font = label.font()
                font.setBold(bold)
                label.setFont(font)
            label.setAccessibleName(f"{step.label}: {step.state}")
        running = StepState.RUNNING in self._states.values()
        if running and not self._spin.isActive():
            self._spin.start()
        elif not running:
            self._spin.stop()

    def _on_spin_timeout(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        for key, state in self._states.items():
            if state == StepState.RUNNING:
                self._rows[key][0].setText(SPINNER[self._frame])
