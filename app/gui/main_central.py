"""The main window's central area and status bar: first-run empty state, partners list.

Split out of main_window (issue 10: no module over 500 lines): building the widgets
(the empty state, the searchable partners table, the partner view, the status bar) is
apart from what the window does with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui.list_keys import PickListView
from app.gui.main_actions import make_action
from app.gui.models import (
    ALL_ROWS,
    STATUS_TEXT,
)
from app.gui.partner_view import PartnerView
from app.gui.widgets import muted

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


class EmptyState(QFrame):
    """First run: no partners yet; the sandbox path first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        box = QFrame()
        box.setObjectName("EmptyState")
        box.setMaximumWidth(620)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(36, 32, 36, 32)
        layout.setSpacing(12)
        title = QLabel("No partners yet")
        title.setObjectName("PageTitle")
        layout.addWidget(title)
        layout.addWidget(
            muted(
                "Try a whole OCPI credentials handshake in under a minute with a sandbox partner"
                " that runs "
                "on this computer: no external partner, nothing leaves this machine."
            )
        )
        self.sandbox = QPushButton("Try it with the sandbox partner")
        self.sandbox.setObjectName("Primary")
        self.sandbox.setAccessibleName("Try it with the sandbox partner")
        self.sandbox.setDefault(True)
        layout.addWidget(self.sandbox, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addSpacing(8)
        layout.addWidget(muted("Or, with a real partner:"))
        row = QHBoxLayout()
        self.onboard = QPushButton("Onboard a partner…")
        self.onboard.setAccessibleName("Onboard a partner")
        self.onboard.setToolTip("The partner gave you a TOKEN_A and their versions URL")
        self.invite = QPushButton("Invite a partner…")
        self.invite.setAccessibleName("Invite a partner")
        self.invite.setToolTip("Give a partner a TOKEN_A and our versions URL")
        row.addWidget(self.onboard)
        row.addWidget(self.invite)
        row.addStretch(1)
        layout.addLayout(row)
        center = QHBoxLayout()
        center.addStretch(1)
        center.addWidget(box, 3)
        center.addStretch(1)
        outer.addLayout(center)
        outer.addStretch(2)


def clear_button_once_typed(edit: QLineEdit) -> None:
    """Qt's clear button (x) shows only over text, and making it loads its icon through
    the style sheet (~5 ms of the start, issue 13): it is made with the first text typed.
    Empty, the field looks the same either way (a hidden side button takes no margin).
    Escape clears it too, from then on: the (x) was the mouse's way only."""

    def enable(text: str) -> None:
        if text:
            edit.textChanged.disconnect(enable)
            edit.setClearButtonEnabled(True)
            escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), edit)
            escape.setContext(Qt.ShortcutContext.WidgetShortcut)
            escape.activated.connect(edit.clear)

    edit.textChanged.connect(enable)


def build_central(window: MainWindow) -> None:
    """The partners list (search, status filter, table) beside the partner view.

    Built from the window down (each container in place before its content): with the
    app's style sheet, every reparenting restyles the whole subtree moved, and building
    bottom-up restyled the partner view about six times over (issue 13, start-up).
    """
    window.stack = QStackedWidget()
    window.setCentralWidget(window.stack)
    window.empty = EmptyState(window.stack)  # in place: adding it moves nothing
    window.empty.sandbox.clicked.connect(lambda: window.open_sender_wizard(sandbox_fault="none"))
    window.empty.onboard.clicked.connect(lambda: window.open_sender_wizard())
    window.empty.invite.clicked.connect(window.open_invite_wizard)
    window.stack.addWidget(window.empty)
    window.splitter = QSplitter(Qt.Orientation.Horizontal)
    window.splitter.setObjectName("PartnersSplitter")
    window.stack.addWidget(window.splitter)

    left = QWidget()
    window.splitter.addWidget(left)
    ll = QVBoxLayout(left)
    ll.setContentsMargins(10, 10, 6, 6)
    filters = QHBoxLayout()
    window.search = QLineEdit()
    window.search.setPlaceholderText("Search partners (country, party id, name, role)…")
    window.search.setAccessibleName("Search partners")
    clear_button_once_typed(window.search)
    window.status_filter = QComboBox()
    window.status_filter.setAccessibleName("Filter by status")
    window.status_filter.addItem("All current", "")
    for key in ("registered", "pending", "unregistered", "failed", "replaced"):
        window.status_filter.addItem(STATUS_TEXT[key], key)
    window.status_filter.addItem("All, with history", ALL_ROWS)
    window.status_filter.setToolTip(
        "History rows (replaced by a newer registration of the same partner, or"
        " forgotten) show under their status or 'All, with history'"
    )
    filters.addWidget(window.search, 1)
    filters.addWidget(window.status_filter)
    ll.addLayout(filters)
    window.table = PickListView()
    window.table.setModel(window.proxy)
    window.table.setAccessibleName("Partners")
    window.table.setTabKeyNavigation(False)  # Tab leaves the list; arrows move in it
    window.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    window.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    window.table.setSortingEnabled(True)
    window.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    window.table.verticalHeader().setVisible(False)
    window.table.verticalHeader().setDefaultSectionSize(26)
    window.table.setShowGrid(False)
    window.table.setAlternatingRowColors(True)
    window.table.setWordWrap(False)
    header = window.table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    # the name keeps a readable width (a Stretch name column shrank to "…" at 1024 px);
    # the last column takes what is left, and the list scrolls sideways when narrow
    header.setStretchLastSection(True)
    header.setMinimumSectionSize(40)
    metrics = window.table.fontMetrics()
    samples = (
        "Country ▲",
        "Party ID ▲",
        "",
        "CPO, EMSP",
        "Receiver",
        "Version",
        # the longest status with its reason, drawn bold: "Registered · TOKEN_C
        # refused" read "Registere…" in a column sized for "Unregistered"
        "Registered · discovery incomplete",
        "Last checked ▲",
    )
    bold = window.table.font()
    bold.setBold(True)
    for column, sample in enumerate(samples):
        # fixed widths: ResizeToContents would measure thousands of rows
        measure = QFontMetrics(bold) if column == window.model.COL_STATUS else metrics
        # the name: the sandbox partner's whole, the first a person sees (its "[sandbox]"
        # tag elided to "…")
        width = measure.horizontalAdvance(sample or "Sandbox Charging (demo partner)  …")
        window.table.setColumnWidth(column, width + 22)
    # Health (shown first, app/gui/health_ui.py) had the default 100 px: its longest text,
    # "not registered" (a row with no connection), read "not register…" (session 24 walk)
    window.table.setColumnWidth(
        window.model.COL_HEALTH, metrics.horizontalAdvance("not registered") + 22
    )
    ll.addWidget(window.table, 1)
    window.count = muted(wrap=False)
    ll.addWidget(window.count)

    window.partner_view = view = PartnerView(window.controller, window.clipboard, window.splitter)

    def connect_offers() -> None:  # once the detail is built (on first use)
        for button, action in (
            (view.retry_button, window.retry_action),
            (view.resume_button, window.resume_action),
            (view.forget_button, window.forget_action),
        ):
            button.clicked.connect(action.trigger)

    view.when_built(connect_offers)
    window.splitter.addWidget(window.partner_view)
    window.splitter.setStretchFactor(0, 3)
    window.splitter.setStretchFactor(1, 2)
    window.splitter.setSizes([720, 500])

    window.search.textChanged.connect(window._on_search_textChanged)
    window.status_filter.currentIndexChanged.connect(window._on_status_filter_currentIndexChanged)
    window.table.selectionModel().selectionChanged.connect(window._on_table_selectionChanged)
    # the double-click's press selected the row: the detail is built and shows it
    window.table.doubleClicked.connect(lambda _index: window.partner_view.tabs.setFocus())
    window.addAction(make_action(window, "Find", window.search.setFocus, "Ctrl+F"))


def build_status_bar(window: MainWindow) -> None:
    """Busy text, our endpoint and the vault's location."""
    bar = window.statusBar()
    window.endpoint_label = muted(wrap=False)
    window.endpoint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    window.busy_label = muted(wrap=False)
    vault_label = muted(f"Vault: {window.controller.vault.location}", wrap=False)
    bar.addWidget(window.busy_label)
    bar.addPermanentWidget(window.endpoint_label)
    bar.addPermanentWidget(vault_label)

    # a message (a menu item's tip, "Transcript written to PATH") takes the whole bar while
    # it shows: beside the endpoint and the vault path it was cut mid-word at 1024 px
    def _on_bar_messageChanged(text: str) -> None:
        for label in (window.endpoint_label, vault_label):
            label.setVisible(not text)

    bar.messageChanged.connect(_on_bar_messageChanged)
    engine = window.controller.engine_or_none
    if engine is not None and engine.embedded:
        window._on_controller_endpointChanged(engine.our_versions_url)
