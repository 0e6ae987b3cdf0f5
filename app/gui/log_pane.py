"""The dockable log pane: every entry of the current run, coloured by level.

Token-confusion diagnoses stand out (their own colour and label) and are explained in plain
words with the suggested fix; tokens appear only as fingerprints (A·…, B·…, C·…) so the eye
can follow which token went where. Filter by level; copy the selection.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.engine.health import kind_words, outcome_words
from app.gui import entries as E
from app.gui.controller import Controller
from app.gui.list_keys import PickListView
from app.gui.log_models import LEVEL_FILTERS, LogFilterProxy, LogModel
from app.gui.models import ConfusionRole
from app.gui.theme import mono_font
from app.gui.widgets import Banner, muted

# said while the pane shows no run: the vault may hold many ("No run yet" read as if none)
NO_RUN = "No run shown: select a partner, or onboard or check one."


class LogPane(QDockWidget):
    """Dock with the run's transcript; follows the newest run unless told otherwise."""

    exportRequested = Signal(str)  # run id

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__("Log", parent)
        self.setObjectName("LogPane")
        self.setAccessibleName("Log pane")
        self.controller = controller
        self.model = LogModel(self)
        self.proxy = LogFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        # in place before it is filled: each reparenting restyles the subtree it moves
        body = QWidget()
        self.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.setSpacing(6)
        bar = QHBoxLayout()
        self.run_label = muted(NO_RUN, wrap=False)
        self._label_partner: int | None = None  # the shown run's partner (see _label)
        bar.addWidget(self.run_label, 1)
        self.level = QComboBox()
        self.level.setAccessibleName("Minimum level")
        for text, rank in LEVEL_FILTERS:
            self.level.addItem(text, rank)
        self.confusion_only = QCheckBox("Token mix-ups only")
        self.confusion_only.setAccessibleName("Show token mix-ups only")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setAccessibleName("Copy log lines")
        self.copy_button.setToolTip(
            "Copy the selected lines, or every line shown when none is selected (Ctrl+C)"
        )
        self.export_button = QPushButton("Export…")
        self.export_button.setAccessibleName("Export this run's transcript")
        for widget in (self.level, self.confusion_only, self.copy_button, self.export_button):
            bar.addWidget(widget)
        layout.addLayout(bar)

        split = QSplitter(Qt.Orientation.Horizontal)
        layout.addWidget(split, 1)
        self.table = PickListView()
        split.addWidget(self.table)
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Log entries")
        self.table.setTabKeyNavigation(False)  # Tab goes on to the details; arrows move here
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(False)
        header = self.table.horizontalHeader()
        # fixed widths: ResizeToContents would measure every row on every append
        mono = QFontMetrics(mono_font())
        bold = QFont()
        bold.setBold(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, mono.horizontalAdvance("00:00:00.000") + 28)
        self.table.setColumnWidth(1, QFontMetrics(bold).horizontalAdvance("TOKEN MIX-UP") + 32)

        self._split = split
        self._detail = detail = QWidget()
        self._detail_scrolls = False  # see _let_details_scroll
        split.addWidget(detail)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        self.explain = Banner()
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setFont(mono_font())
        self.details.setAccessibleName("Selected entry details")
        self.details.setPlaceholderText(
            "Select a line to see its explanation, headers and bodies (redacted)."
        )
        self.details.setMinimumHeight(48)
        detail_layout.addWidget(self.explain)
        detail_layout.addWidget(self.details, 1)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        self.level.currentIndexChanged.connect(self._on_level_currentIndexChanged)
        self.confusion_only.toggled.connect(self.proxy.set_confusion_only)
        self.copy_button.clicked.connect(self.copy_selection)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selectionChanged)
        # the context set on its own: passed to the constructor with the slot it was taken
        # for another argument, and Ctrl+C anywhere in the window (the drift table, the
        # endpoints) copied the log lines instead
        copy = QShortcut(QKeySequence(QKeySequence.StandardKey.Copy), self.table)
        copy.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        copy.activated.connect(self.copy_selection)
        for shown in (  # Copy copies the lines shown: enabled only while there is one
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.modelReset,
            self.proxy.layoutChanged,
        ):
            shown.connect(self._update_buttons)
        controller.runStarted.connect(self._on_controller_runStarted)
        controller.entryAdded.connect(self._on_controller_entryAdded)
        controller.runFinished.connect(self._on_controller_runFinished)
        controller.partnerChanged.connect(self._on_controller_partnerChanged)
        self._update_buttons()

    # ---- which run ------------------------------------------------------------------------
    def show_run(self, run_id: str) -> None:
        """Show a stored run's transcript (from the vault), then follow its new entries."""
        if run_id == self.model.run_id:
            return
        self.model.reset(run_id, self.controller.transcript(run_id))
        self._label(run_id)
        self._scroll_to_end()
        self._update_buttons()

    def _label(self, run_id: str) -> None:
        run = self.controller.run_record(run_id)
        self._label_partner = run.partner_id if run is not None else None
        if run is None:
            self.run_label.setText(f"Run {run_id[:8]}")
            return
        partner = self.controller.partner(run.partner_id) if run.partner_id is not None else None
        who = f" · {partner.ref}" if partner and partner.country_code else ""
        self.run_label.setText(f"Run {run.id[:8]} · {kind_words(run)}{who} · {outcome_words(run)}")

    def _on_controller_runStarted(self, run_id: str, _kind: str) -> None:
        self.model.reset(run_id, self.controller.transcript(run_id))
        self._label(run_id)
        self.explain.hide()
        self.details.clear()
        self._update_buttons()

    def _on_controller_entryAdded(self, run_id: str, entry: dict[str, Any]) -> None:
        if run_id != self.model.run_id:
            return
        at_end = self._at_end()
        self.model.append(entry)
        if at_end:
            self.table.scrollToBottom()
        if entry.get("kind") in ("StepDone", "StepFailed"):  # a step's end may be the run's
            self._label(run_id)  # (an inbound PUT of a partner ends on its StepDone alone)

    def _on_controller_runFinished(self, run_id: str, _result: object) -> None:
        """The engine stored the outcome before it said the run finished: the label is then
        true whichever entry came last (it read "running" when a last step came first)."""
        if run_id == self.model.run_id:
            self._label(run_id)

    def _on_controller_partnerChanged(self, partner_id: int) -> None:
        """A run ended without the engine saying so (a closed wizard's run is abandoned in
        the vault, app.engine.rows) touches its partner: the label read "running" on after
        the wizard was gone (session 22 walk). Only the shown run's partner is looked at."""
        run_id = self.model.run_id
        if run_id is not None and partner_id == self._label_partner:
            self._label(run_id)

    def _at_end(self) -> bool:
        bar = self.table.verticalScrollBar()
        return bar.value() >= bar.maximum() - 2

    def _scroll_to_end(self) -> None:
        self.table.scrollToBottom()

    def _update_buttons(self, *_shown: object) -> None:
        """Export needs a run; Copy needs a line shown (nothing selected copies them all)."""
        self.export_button.setEnabled(self.model.run_id is not None)
        self.copy_button.setEnabled(self.proxy.rowCount() > 0)

    # ---- filters, selection, copy --------------------------------------------------------------
    def _on_level_currentIndexChanged(self, _index: int) -> None:
        self.proxy.set_min_rank(int(self.level.currentData()))

    def confusion_rows(self) -> list[int]:
        """Source rows that carry a token-confusion diagnosis."""
        return [
            r for r in range(self.model.rowCount()) if self.model.index(r, 0).data(ConfusionRole)
        ]

    def _selected_source_rows(self) -> list[int]:
        rows = {self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()}
        return sorted(rows)

    def _on_table_selectionChanged(
        self, _selected: QItemSelection, _deselected: QItemSelection
    ) -> None:
        rows = self._selected_source_rows()
        if not rows:
            self.explain.hide()
            self.details.clear()
            return
        entry = self.model.entry(rows[-1])
        diagnosis = E.diagnosis_of(entry)
        if diagnosis:
            self._let_details_scroll()
            confusion = bool(diagnosis.get("token_confusion"))
            self.explain.show_message(
                "confusion"
                if confusion
                else ("warning" if diagnosis.get("severity") == "warning" else "error"),
                "Token mix-up" if confusion else "Diagnosis",
                str(diagnosis.get("message", "")),
                str(diagnosis.get("hint", "")),
            )
        else:
            self.explain.hide()
        # the line whole first: the table cuts it (a drift's two URLs, a call's URL), and an
        # event's details said only "no headers or bodies", the URLs nowhere to be read
        more = E.details(entry) or "An event of the run: no headers or bodies."
        self.details.setPlainText(f"{E.summary(entry)}\n\n{more}")

    def _let_details_scroll(self) -> None:
        """The explanation and the details scroll together, from the first explanation
        shown on: its banner (~150 px at 1024 px) grew the pane for good, and the partners
        list above it shrank to a few rows (session 23 walk). Made then, not with the pane:
        a scroll area is ~0.8 ms of the window's start (issue 13, target 1)."""
        if self._detail_scrolls:
            return
        self._detail_scrolls = True
        holder = QScrollArea()
        holder.setWidgetResizable(True)
        holder.setFrameShape(QFrame.Shape.NoFrame)
        holder.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        holder.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the details themselves
        sizes = self._split.sizes()
        self._split.insertWidget(self._split.indexOf(self._detail), holder)
        holder.setWidget(self._detail)  # out of the splitter, into the scroll area
        self._split.setSizes(sizes)

    def select_row(self, source_row: int) -> None:
        index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        if index.isValid():
            self.table.selectRow(index.row())
            self.table.scrollTo(index)

    def _shown_source_rows(self) -> list[int]:
        """Every line the filters let through, in the order shown."""
        return [
            self.proxy.mapToSource(self.proxy.index(row, 0)).row()
            for row in range(self.proxy.rowCount())
        ]

    def selected_text(self) -> str:
        """The selected lines; with nothing selected, every line shown (what Copy copies)."""
        lines = []
        for row in self._selected_source_rows() or self._shown_source_rows():
            entry = self.model.entry(row)
            line = f"{entry.get('at', '')}  {self.model.level(row).upper():7}  {E.summary(entry)}"
            explanation = E.explanation(entry)
            if explanation:
                line += "\n    " + explanation.replace("\n", "\n    ")
            lines.append(line)
        return "\n".join(lines)

    def copy_selection(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def _on_export_button_clicked(self) -> None:
        if self.model.run_id:
            self.exportRequested.emit(self.model.run_id)
