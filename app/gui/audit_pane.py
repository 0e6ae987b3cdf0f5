"""The Audit dock: who revealed, copied, rotated or exported what, and whether the trail
is intact. It reads through the controller (the vault's audit API), never SQL.

Rows are appended with beginInsertRows when the trail only grew (the usual case), so an
open pane does not jump; a filter change or a shorter trail resets the model.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.controller import Controller
from app.gui.list_keys import PickListView
from app.gui.models import short_time
from app.gui.widgets import muted
from app.vault import AuditEvent

Index = QModelIndex | QPersistentModelIndex


class AuditTableModel(QAbstractTableModel):
    """Audit events as rows: #, when, who, action, partner, token."""

    HEADERS = ("#", "When", "Who", "Action", "Partner", "Token")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._events: list[AuditEvent] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._events)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        event = self._events[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                str(event.seq),
                short_time(event.at),
                event.actor,
                event.action,
                event.peer,
                event.fingerprint,
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{event.at} (UTC)" + (f", run {event.run_id[:8]}" if event.run_id else "")
        return None

    def audit_event(self, row: int) -> AuditEvent:
        return self._events[row]

    def set_events(self, events: list[AuditEvent]) -> None:
        """Show `events`: append when they extend what is shown, else reset."""
        old = self._events
        grew = len(events) >= len(old) and [e.seq for e in events[: len(old)]] == [
            e.seq for e in old
        ]
        if grew and len(events) > len(old):
            self.beginInsertRows(QModelIndex(), len(old), len(events) - 1)
            self._events = list(events)
            self.endInsertRows()
        elif not grew:
            self.beginResetModel()
            self._events = list(events)
            self.endResetModel()


class AuditPane(QDockWidget):
    """Dock with the audit trail (all partners or the selected one) and a Verify button.

    The dock is made with the window (its place, its View action and the saved layout need
    it), its body the first time it is shown: the pane starts hidden behind the log and
    most sessions never open it (issue 13: ~4 ms of the UI thread before the first paint,
    and its table, model and buttons resident for nothing)."""

    model: AuditTableModel
    status: QLabel
    partner_only: QCheckBox
    verify_button: QPushButton
    table: PickListView

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__("Audit", parent)
        self.setObjectName("AuditPane")
        self.setAccessibleName("Audit trail")
        self.controller = controller
        self.partner_id: int | None = None
        self.built = False

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(40)
        self._timer.timeout.connect(self.refresh)
        self.visibilityChanged.connect(self._on_visibilityChanged)
        controller.auditChanged.connect(self._timer.start)
        controller.partnerChanged.connect(self._timer.start)
        controller.partnersChanged.connect(self._timer.start)
        controller.operationFinished.connect(self._timer.start)
        controller.operationFailed.connect(self._timer.start)

    def ensure_built(self) -> None:
        """The pane's body, made once, as the pane first shows. It goes into the dock
        filled: a widget added to an already visible body is shown only a turn later (Qt
        queues it), and the pane would show an empty body in the turn it opened."""
        if self.built:
            return
        self.built = True
        self.model = AuditTableModel(self)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 4, 8, 8)
        bar = QHBoxLayout()
        self.status = muted("Who did what with which token: fingerprints only.", wrap=False)
        bar.addWidget(self.status, 1)
        self.partner_only = QCheckBox("Selected partner only")
        self.partner_only.setAccessibleName("Show the selected partner's events only")
        # no letter: each of "Verify trail" is taken in the window (Alt+V the View menu, and
        # Alt+V then neither opened the menu nor verified); Tab reaches it
        self.verify_button = QPushButton("Verify trail")
        self.verify_button.setAccessibleName("Verify the audit trail")
        self.verify_button.setToolTip("Check that no audit row was edited, removed or reordered")
        bar.addWidget(self.partner_only)
        bar.addWidget(self.verify_button)
        layout.addLayout(bar)
        self.table = PickListView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Audit events")
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((48, 150, 110, 150, 90)):
            self.table.setColumnWidth(column, width)
        layout.addWidget(self.table, 1)
        self.partner_only.toggled.connect(self._on_partner_only_toggled)
        self.verify_button.clicked.connect(self._on_verify_button_clicked)
        self.setWidget(body)

    def set_partner(self, partner_id: int | None) -> None:
        """The partner selected in the main window (used when "selected only" is on)."""
        self.partner_id = partner_id
        if self.built and self.partner_only.isChecked():
            self._timer.start()

    def refresh(self) -> None:
        if not self.isVisible():
            return
        self.ensure_built()
        only = self.partner_id if self.partner_only.isChecked() else None
        if self.partner_only.isChecked() and only is None:
            self.model.set_events([])
            return
        self.model.set_events(self.controller.audit_events(partner_id=only))
        if self.model.rowCount():
            self.table.scrollToBottom()

    def verify(self) -> bool:
        """Check the chain and say so in the pane; True when intact."""
        self.ensure_built()
        check = self.controller.verify_audit()
        if check.intact:
            self.status.setText(f"Trail intact: {check.events} events, none altered.")
        else:
            first = check.problems[0]
            self.status.setText(
                f"Trail BROKEN at row {first['seq']}: {first['problem']}"
                f" ({len(check.problems)} problem(s))."
            )
        self.status.setProperty("level", "ok" if check.intact else "error")
        return check.intact

    def _on_verify_button_clicked(self) -> None:
        self.verify()

    def _on_partner_only_toggled(self, _checked: bool) -> None:
        self.refresh()

    def _on_visibilityChanged(self, visible: bool) -> None:
        if visible:
            self.ensure_built()
            self.refresh()
