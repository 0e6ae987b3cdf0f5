"""The main window: partners list, partner detail, actions, log pane, first-run path.

Actions forward to the controller (rotate, unregister, check) or open a wizard or dialog;
results come back as signals and land in the partner view's banner and the log pane.
Window geometry, dock and splitter state are remembered (QSettings, injectable for tests).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QItemSelection, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.diagnosis import Diagnosis
from app.engine import RunResult
from app.engine.rows import Offers
from app.gui.audit_pane import AuditPane
from app.gui.clipboard import SecretClipboard
from app.gui.controller import Controller
from app.gui.errors import show_error
from app.gui.export_dialog import ExportDialog
from app.gui.health_ui import HealthUi
from app.gui.log_pane import LogPane
from app.gui.models import (
    ALL_ROWS,
    STATUS_TEXT,
    PartnersFilterProxy,
    PartnersTableModel,
    RecordRole,
)
from app.gui.partner_view import PartnerView
from app.gui.settings_dialog import SettingsDialog
from app.gui.theme import app_icon
from app.gui.widgets import muted
from app.gui.wizard_invite import InviteWizard
from app.gui.wizard_sender import SenderWizard
from app.paths import config_dir
from app.sandbox import Fault
from app.vault import PartnerRecord

RESULT_TITLES = {
    "resume": "Registration resumed",
    "rotate": "Credentials rotated",
    "unregister": "Unregistered",
    "check": "Connection OK",
}
FAILED_TITLES = {
    "resume": "Resume failed",
    "rotate": "Rotation failed",
    "unregister": "Unregister failed",
    "check": "Check failed",
}


def window_state(path: Path | None = None) -> QSettings:
    """Where geometry and layout are remembered (an ini file beside the settings)."""
    target = path or config_dir() / "window.ini"
    return QSettings(str(target), QSettings.Format.IniFormat)


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


class MainWindow(QMainWindow):
    """Partners, their detail, and everything one does with them."""

    closed = Signal()

    def __init__(
        self,
        controller: Controller,
        *,
        clipboard: SecretClipboard | None = None,
        state: QSettings | None = None,
        export_dir: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.clipboard = clipboard or SecretClipboard(parent=self)
        self.state = state or window_state()
        self.export_dir = export_dir
        self.sender_wizard: SenderWizard | None = None
        self._selected_id: int | None = None
        self.invite_wizard: InviteWizard | None = None
        self.setWindowTitle("OCPI Onboard")
        self.setWindowIcon(app_icon())
        self.resize(1200, 780)
        self.setMinimumSize(760, 520)

        self.model = PartnersTableModel(self)
        self.proxy = PartnersFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self._build_actions()
        self._build_central()
        self.log_pane = LogPane(controller, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.log_pane)
        self.resizeDocks([self.log_pane], [230], Qt.Orientation.Vertical)
        self.view_menu.addAction(self.log_pane.toggleViewAction())
        self.log_pane.toggleViewAction().setShortcut(QKeySequence("Ctrl+L"))
        self.audit_pane = AuditPane(controller, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.audit_pane)
        self.tabifyDockWidget(self.log_pane, self.audit_pane)
        self.audit_pane.hide()
        self.log_pane.raise_()
        self.audit_action = self.audit_pane.toggleViewAction()
        self.audit_action.setText("&Audit trail")
        self.audit_action.setShortcut(QKeySequence("Ctrl+Shift+A"))
        self.audit_action.setStatusTip("Who revealed, copied, rotated or exported what")
        self.view_menu.addAction(self.audit_action)
        self._build_status_bar()
        self.health_ui = HealthUi(self)

        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(30)
        self._reload_timer.timeout.connect(self.reload_partners)
        controller.partnersChanged.connect(self._reload_timer.start)
        self._touched: set[int] = set()
        self._touch_timer = QTimer(self)
        self._touch_timer.setSingleShot(True)
        self._touch_timer.setInterval(30)
        self._touch_timer.timeout.connect(self._refresh_touched)
        controller.partnerChanged.connect(self._on_controller_partnerChanged)
        controller.operationFinished.connect(self._on_controller_operationFinished)
        controller.operationFailed.connect(self._on_controller_operationFailed)
        controller.busyChanged.connect(self._on_controller_busyChanged)
        controller.endpointChanged.connect(self._on_controller_endpointChanged)
        self.log_pane.exportRequested.connect(self.open_export)
        self.partner_view.runSelected.connect(self.log_pane.show_run)
        self.reload_partners()
        self._restore_state()

    # ---- building -----------------------------------------------------------------------------
    def _action(
        self, text: str, slot: Callable[[], object], shortcut: str | None = None, tip: str = ""
    ) -> QAction:
        """An action whose slot is called with no arguments.

        `triggered` carries `checked` (False): connected directly, it would land in the
        slot's first parameter (open_sender_wizard's sandbox fault, setFocus's reason).
        """
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip or text.replace("&", "").rstrip("…"))
        action.setStatusTip(action.toolTip())
        action.triggered.connect(lambda _checked=False, run=slot: run())
        return action

    def _build_actions(self) -> None:
        self.onboard_action = self._action(
            "&Onboard partner…",
            self.open_sender_wizard,
            "Ctrl+N",
            "Register with a partner who gave you a TOKEN_A (we are the Sender)",
        )
        self.invite_action = self._action(
            "&Invite partner…",
            self.open_invite_wizard,
            "Ctrl+I",
            "Give a partner a TOKEN_A and wait for them to register (we are the Receiver)",
        )
        self.rotate_action = self._action(
            "&Rotate credentials",
            self.rotate_selected,
            "Ctrl+R",
            "Exchange new tokens with the selected partner (PUT)",
        )
        self.unregister_action = self._action(
            "&Unregister…",
            self.unregister_selected,
            None,
            "End the registration with the selected partner (DELETE)",
        )
        self.check_action = self._action(
            "&Check connection",
            self.check_selected,
            "F5",
            "Call the selected partner's versions with our token (GET)",
        )
        self.retry_action = self._action(
            "Re&try registration…",
            self.retry_selected,
            None,
            "Onboard this partner again in a new wizard (an unspent TOKEN_A is filled in)",
        )
        self.resume_action = self._action(
            "Resu&me registration",
            self.resume_selected,
            None,
            "Continue a registration that stopped mid-way (after a POST: TOKEN_A is probed first)",
        )
        self.forget_action = self._action(
            "&Forget…",
            self.forget_selected,
            None,
            "Retire the tokens this failed or unfinished row still holds (recorded in History)",
        )
        self.export_action = self._action(
            "&Export transcript…",
            self.open_export_for_selection,
            "Ctrl+E",
            "Write a redacted transcript of a run for support",
        )
        self.settings_action = self._action(
            "&Settings…",
            self.open_settings,
            "Ctrl+,",
            "Our identity, endpoint and network settings",
        )
        self.sandbox_action = self._action(
            "Onboard the &sandbox partner",
            lambda: self.open_sender_wizard(sandbox_fault="none"),
            "Ctrl+Shift+N",
            "A demo partner on this computer: a whole onboarding in seconds",
        )
        quit_action = self._action("&Quit", self.close, "Ctrl+Q")
        # Ctrl+Q quits from every window of the app, not only this one: with --sandbox the
        # Sender wizard opens at start and is the active window, where a window-wide Quit
        # did nothing and the app never ended (issue 9). A modal dialog still blocks it.
        quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        toolbar = QToolBar("Actions")
        toolbar.setObjectName("Actions")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.onboard_action, self.invite_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        for action in (self.check_action, self.rotate_action, self.unregister_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.export_action)
        # no expanding spacer: with one, QToolBar hid the last actions at 1024 px wide and
        # showed no extension button; a separator keeps the sandbox and settings apart
        toolbar.addSeparator()
        toolbar.addAction(self.sandbox_action)
        toolbar.addAction(self.settings_action)
        # short toolbar labels (menus keep the full text, tooltips explain): all fit at
        # 1024 px; narrower windows get the extension button (»), never a silent cut
        for action, short in (
            (self.check_action, "Check"),
            (self.rotate_action, "Rotate"),
            (self.export_action, "Export"),
            (self.sandbox_action, "Sandbox demo"),
        ):
            action.setIconText(short)
        extension = toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
        if extension is not None:
            extension.setToolTip("More actions")
            extension.setAccessibleName("More actions")
        self.addToolBar(toolbar)
        self.toolbar = toolbar

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        partner_menu = bar.addMenu("&Partner")
        partner_menu.addActions([self.onboard_action, self.invite_action])
        partner_menu.addSeparator()
        partner_menu.addActions([self.check_action, self.rotate_action, self.unregister_action])
        partner_menu.addSeparator()
        partner_menu.addActions([self.retry_action, self.resume_action, self.forget_action])
        partner_menu.addSeparator()
        partner_menu.addAction(self.export_action)
        sandbox_menu = bar.addMenu("&Sandbox")
        sandbox_menu.addAction(self.sandbox_action)
        faults = QMenu("Rehearse a &fault", self)
        for fault in Fault:
            if fault == Fault.NONE:
                continue
            action = QAction(fault.value, self)
            action.triggered.connect(
                lambda _checked=False, f=fault.value: self.open_sender_wizard(sandbox_fault=f)
            )
            faults.addAction(action)
        sandbox_menu.addMenu(faults)
        self.view_menu = bar.addMenu("&View")
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&About OCPI Onboard", self._on_about_triggered))

    def _build_central(self) -> None:
        self.stack = QStackedWidget()
        self.empty = EmptyState()
        self.empty.sandbox.clicked.connect(lambda: self.open_sender_wizard(sandbox_fault="none"))
        self.empty.onboard.clicked.connect(lambda: self.open_sender_wizard())
        self.empty.invite.clicked.connect(self.open_invite_wizard)
        self.stack.addWidget(self.empty)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(10, 10, 6, 6)
        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search partners (country, party id, name, role)…")
        self.search.setAccessibleName("Search partners")
        self.search.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Filter by status")
        self.status_filter.addItem("All current", "")
        for key in ("registered", "pending", "unregistered", "failed", "replaced"):
            self.status_filter.addItem(STATUS_TEXT[key], key)
        self.status_filter.addItem("All, with history", ALL_ROWS)
        self.status_filter.setToolTip(
            "History rows (replaced by a newer registration of the same partner, or"
            " forgotten) show under their status or 'All, with history'"
        )
        filters.addWidget(self.search, 1)
        filters.addWidget(self.status_filter)
        ll.addLayout(filters)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Partners")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # the name keeps a readable width (a Stretch name column shrank to "…" at 1024 px);
        # the last column takes what is left, and the list scrolls sideways when narrow
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(40)
        metrics = self.table.fontMetrics()
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
        bold = self.table.font()
        bold.setBold(True)
        for column, sample in enumerate(samples):
            # fixed widths: ResizeToContents would measure thousands of rows
            measure = QFontMetrics(bold) if column == self.model.COL_STATUS else metrics
            width = measure.horizontalAdvance(sample or "Sandbox Charging (demo)")
            self.table.setColumnWidth(column, width + 22)
        ll.addWidget(self.table, 1)
        self.count = muted(wrap=False)
        ll.addWidget(self.count)

        self.partner_view = PartnerView(self.controller, self.clipboard)
        for button, action in (
            (self.partner_view.retry_button, self.retry_action),
            (self.partner_view.resume_button, self.resume_action),
            (self.partner_view.forget_button, self.forget_action),
        ):
            button.clicked.connect(action.trigger)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("PartnersSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.partner_view)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([720, 500])
        self.stack.addWidget(self.splitter)
        self.setCentralWidget(self.stack)

        self.search.textChanged.connect(self._on_search_textChanged)
        self.status_filter.currentIndexChanged.connect(self._on_status_filter_currentIndexChanged)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selectionChanged)
        self.table.doubleClicked.connect(lambda _index: self.partner_view.tabs.setFocus())
        self.addAction(self._action("Find", self.search.setFocus, "Ctrl+F"))

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.endpoint_label = muted(wrap=False)
        self.endpoint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.busy_label = muted(wrap=False)
        vault_label = muted(f"Vault: {self.controller.vault.location}", wrap=False)
        bar.addWidget(self.busy_label)
        bar.addPermanentWidget(self.endpoint_label)
        bar.addPermanentWidget(vault_label)
        engine = self.controller.engine_or_none
        if engine is not None and engine.embedded:
            self._on_controller_endpointChanged(engine.our_versions_url)

    # ---- partners ------------------------------------------------------------------------------
    def reload_partners(self) -> None:
        selected = self.selected_partner()
        partners = self.controller.partners()
        self.model.set_partners(partners, self.controller.health(partners))
        has = self.model.rowCount() > 0
        self.stack.setCurrentIndex(1 if has else 0)
        if selected is not None and selected.id is not None:
            self.select_partner(selected.id)
        self.partner_view.refresh()
        self._update_count()
        self._update_actions()

    def _on_controller_partnerChanged(self, partner_id: int) -> None:
        self._touched.add(partner_id)
        self._touch_timer.start()

    def _refresh_touched(self) -> None:
        """Update only the partners a run touched (and rows it may have replaced)."""
        touched, self._touched = self._touched, set()
        todo = list(touched)
        seen: set[int] = set()
        while todo:
            partner_id = todo.pop()
            if partner_id in seen:
                continue
            seen.add(partner_id)
            record = self.controller.partner(partner_id)
            if record is None:
                self.model.remove(partner_id)
                continue
            self.model.upsert(record, self.controller.partner_health(record))
            todo += self.model.same_identity(record)
        self.stack.setCurrentIndex(1 if self.model.rowCount() else 0)
        selected = self.partner_view.partner
        if selected is not None and selected.id in seen:
            self.partner_view.refresh()
        self._update_count()
        self._update_actions()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count.setText(
            f"{total} partner{'' if total == 1 else 's'}"
            if shown == total
            else f"{shown} of {total} partner{'' if total == 1 else 's'}"
        )

    def selected_partner(self) -> PartnerRecord | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        record = rows[0].data(RecordRole)
        return record if isinstance(record, PartnerRecord) else None

    def select_partner(self, partner_id: int) -> bool:
        row = self.model.row_of(partner_id)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            self.search.clear()
            self.status_filter.setCurrentIndex(0)
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    def _on_search_textChanged(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_count()

    def _on_status_filter_currentIndexChanged(self, _index: int) -> None:
        self.proxy.set_status(self.status_filter.currentData() or None)
        self._update_count()

    def _on_table_selectionChanged(
        self, _selected: QItemSelection, _deselected: QItemSelection
    ) -> None:
        partner = self.selected_partner()
        partner_id = partner.id if partner else None
        if partner_id == self._selected_id:
            self._update_actions()  # rows moved (a sort, an update): the same partner
            return
        self._selected_id = partner_id
        self.partner_view.show_partner(partner_id)
        self.audit_pane.set_partner(partner_id)
        runs = self.partner_view.runs()
        if runs:  # a newly chosen partner: its latest run in the log pane
            self.log_pane.show_run(runs[0].id)
        self._update_actions()

    def _update_actions(self) -> None:
        partner = self.selected_partner()
        registered = partner is not None and partner.status == "registered"
        idle = not self.controller.busy("manage")
        for action in (self.rotate_action, self.unregister_action, self.check_action):
            action.setEnabled(registered and idle)
        offers = self.controller.offers(partner) if partner is not None else Offers()
        health = self.partner_view.health if partner is not None else None
        gone = health is not None and "sandbox.not_running" in health.codes()
        self.retry_action.setEnabled(offers.retry and not gone and idle)
        self.resume_action.setEnabled(offers.resume_run is not None and not gone and idle)
        self.forget_action.setEnabled(offers.forget and idle)
        self.partner_view.show_offers(
            self.retry_action.isEnabled(),
            self.resume_action.isEnabled(),
            self.forget_action.isEnabled(),
        )
        self.export_action.setEnabled(
            bool(self.partner_view.runs()) or self.log_pane.model.run_id is not None
        )

    # ---- actions -------------------------------------------------------------------------------
    def open_sender_wizard(self, sandbox_fault: str | None = None) -> SenderWizard:
        if self.sender_wizard is not None and self.sender_wizard.isVisible():
            self.sender_wizard.raise_()
            self.sender_wizard.activateWindow()
            return self.sender_wizard
        wizard = SenderWizard(self.controller, self.clipboard, self)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.partnerReady.connect(self._on_wizard_partnerReady)
        wizard.exportRequested.connect(self.open_export)
        wizard.settingsRequested.connect(self.open_settings)
        wizard.destroyed.connect(lambda: setattr(self, "sender_wizard", None))
        self.sender_wizard = wizard
        if sandbox_fault is not None:
            wizard.start_sandbox(sandbox_fault)
        wizard.show()
        return wizard

    def open_invite_wizard(self) -> InviteWizard:
        if self.invite_wizard is not None and self.invite_wizard.isVisible():
            self.invite_wizard.raise_()
            self.invite_wizard.activateWindow()
            return self.invite_wizard
        wizard = InviteWizard(self.controller, self.clipboard, self)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.partnerReady.connect(self._on_wizard_partnerReady)
        wizard.exportRequested.connect(self.open_export)
        wizard.destroyed.connect(lambda: setattr(self, "invite_wizard", None))
        self.invite_wizard = wizard
        wizard.show()
        return wizard

    def _on_wizard_partnerReady(self, partner_id: int) -> None:
        self._touched.add(partner_id)
        self._refresh_touched()
        self.select_partner(partner_id)

    def confirm_rotate(self, partner: PartnerRecord) -> bool:
        answer = QMessageBox.question(
            self,
            "Rotate credentials",
            f"Rotate the credentials with {partner.ref}? We send a new TOKEN_B (PUT) and the"
            " partner answers with a new TOKEN_C; the old tokens stop working on both sides.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def rotate_selected(self) -> None:
        partner = self.selected_partner()
        if partner is not None and partner.id is not None and self.confirm_rotate(partner):
            self.controller.rotate(partner.id)
            self._update_actions()

    def retry_selected(self) -> SenderWizard | None:
        """A new Sender wizard for a failed row: its versions URL, and TOKEN_A only unspent."""
        partner = self.selected_partner()
        if partner is None:
            return None
        offers = self.controller.offers(partner)
        if not offers.retry:
            return None
        wizard = self.open_sender_wizard()
        token = ""
        if offers.token_a is not None:  # an explicit decryption for the person: audited
            token = self.controller.reveal(offers.token_a.id, "retry").reveal()
        wizard.prefill(offers.versions_url, token, offers.ocpi_version, offers.token_a_spent)
        return wizard

    def resume_selected(self) -> None:
        partner = self.selected_partner()
        if partner is None:
            return
        run_id = self.controller.offers(partner).resume_run
        if run_id is not None:
            self.controller.resume(run_id)
            self._update_actions()

    def confirm_forget(self, partner: PartnerRecord) -> bool:
        live = [
            c.fingerprint
            for c in self.controller.credentials(partner.id or 0)
            if c.state in ("pending", "active")
        ]
        answer = QMessageBox.question(
            self,
            "Forget this row",
            f"Forget {partner.ref}? "
            + (f"The tokens it still holds ({', '.join(live)}) are retired; " if live else "")
            + "nothing is sent to the partner. The row and its history stay, marked as forgotten.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def forget_selected(self) -> None:
        partner = self.selected_partner()
        if partner is None or partner.id is None:
            return
        if self.controller.offers(partner).forget and self.confirm_forget(partner):
            self.controller.forget(partner.id)
            self.statusBar().showMessage(f"{partner.ref} forgotten", 6000)

    def check_selected(self) -> None:
        partner = self.selected_partner()
        if partner is not None and partner.id is not None:
            self.controller.check(partner.id)
            self._update_actions()

    def confirm_unregister(self, partner: PartnerRecord) -> bool:
        answer = QMessageBox.question(
            self,
            "Unregister partner",
            f"Unregister from {partner.ref}? Both sides' tokens stop working; a new registration "
            "needs a new TOKEN_A.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def unregister_selected(self) -> None:
        partner = self.selected_partner()
        if partner is not None and partner.id is not None and self.confirm_unregister(partner):
            self.controller.unregister(partner.id)
            self._update_actions()

    def open_export_for_selection(self) -> ExportDialog:
        run_id = self.partner_view.selected_run() or self.log_pane.model.run_id
        return self.open_export(run_id)

    def open_export(self, run_id: str | None = None) -> ExportDialog:
        partner = self.selected_partner()
        run = self.controller.run_record(run_id) if run_id else None
        partner_id = run.partner_id if run is not None else (partner.id if partner else None)
        dialog = ExportDialog(
            self.controller, run_id, partner_id, self.export_dir, self.sender_wizard or self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.exported.connect(
            lambda path: self.statusBar().showMessage(f"Transcript written to {path}", 8000)
        )
        dialog.open()
        return dialog

    def open_settings(self) -> SettingsDialog:
        parent = (
            self.sender_wizard
            if self.sender_wizard is not None and self.sender_wizard.isVisible()
            else self
        )
        dialog = SettingsDialog(self.controller.settings_copy(), parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.controller.apply_settings(dialog.result_settings()))
        dialog.open()
        return dialog

    def _on_about_triggered(self) -> None:
        from app import __version__

        QMessageBox.about(
            self,
            "About OCPI Onboard",
            f"OCPI Onboard {__version__}\nOnboard OCPI roaming partners through the credentials "
            "handshake. Tokens are stored encrypted and shown only as fingerprints.",
        )

    # ---- results --------------------------------------------------------------------------------
    def _result_text(self, kind: str, result: RunResult) -> str:
        peer = result.peer or {}
        ref = f"{peer.get('country_code', '')}-{peer.get('party_id', '')}"
        if kind == "rotate":
            return (
                f"{ref}: we now present {result.token_c_fingerprint}; the old tokens are retired."
            )
        if kind == "unregister":
            return f"{ref} no longer knows us; every token for it is revoked."
        if kind == "resume":
            if result.status == "registered":
                return f"{ref} registered: we present {result.token_c_fingerprint}."
            return f"Run {result.run_id[:8]} ended: {result.status}."
        return f"{ref} accepts {result.token_c_fingerprint} (OCPI {result.ocpi_version})."

    def _on_controller_operationFinished(self, kind: str, result: RunResult) -> None:
        if result.partner_id is not None:
            self._touched.add(result.partner_id)
            self._refresh_touched()
        self.partner_view.show_result(
            RESULT_TITLES.get(kind, "Done"), self._result_text(kind, result)
        )
        for warning in result.warnings[:1]:
            self.partner_view.show_diagnosis(
                warning, RESULT_TITLES.get(kind, "Done") + " with a warning"
            )
        self.statusBar().showMessage(RESULT_TITLES.get(kind, "Done"), 6000)

    def _on_controller_operationFailed(self, kind: str, diagnosis: Diagnosis) -> None:
        if kind in FAILED_TITLES and self.partner_view.partner is not None:
            self.partner_view.show_diagnosis(diagnosis, FAILED_TITLES[kind])
            self.statusBar().showMessage(FAILED_TITLES[kind], 6000)
        else:
            show_error(diagnosis, self)
        self._update_actions()

    def _on_controller_busyChanged(self, busy: bool) -> None:
        self.busy_label.setText("Working…" if busy else "")
        self._update_actions()

    def _on_controller_endpointChanged(self, url: str) -> None:
        self.endpoint_label.setText(f"Our endpoint: {url}")

    # ---- window state ----------------------------------------------------------------
    def _restore_state(self) -> None:
        for key, restore in (
            ("geometry", self.restoreGeometry),
            ("windowState", self.restoreState),
            ("splitter", self.splitter.restoreState),
            ("partnersHeader", self.table.horizontalHeader().restoreState),
        ):
            value = self.state.value(key)
            if isinstance(value, QByteArray | bytes):
                restore(QByteArray(value))

    def save_state(self) -> None:
        self.state.setValue("geometry", self.saveGeometry())
        self.state.setValue("windowState", self.saveState())
        self.state.setValue("splitter", self.splitter.saveState())
        self.state.setValue("partnersHeader", self.table.horizontalHeader().saveState())
        self.state.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        for wizard in (self.sender_wizard, self.invite_wizard):
            if wizard is not None:
                wizard.reject()
        self.save_state()
        self.health_ui.close()
        self.clipboard.clear_now()
        self._reload_timer.stop()
        self._touch_timer.stop()
        self.controller.partnersChanged.disconnect(self._reload_timer.start)
        self.controller.partnerChanged.disconnect(self._on_controller_partnerChanged)
        self.controller.busyChanged.disconnect(self._on_controller_busyChanged)
        super().closeEvent(event)
        self.closed.emit()
