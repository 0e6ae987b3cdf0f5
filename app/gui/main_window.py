"""The main window: partners list, partner detail, actions, log pane, first-run path.

Actions forward to the controller (rotate, unregister, check) or open a wizard or dialog;
results come back as signals and land in the partner view's banner and the log pane.
Window geometry, dock and splitter state are remembered (QSettings, injectable for tests;
window_layout: a first start fits the screen).
Building the actions and menus is in main_actions, the central widgets in main_central.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QWidget,
)

from app.core.diagnosis import Diagnosis
from app.engine.rows import Offers
from app.gui.audit_pane import AuditPane
from app.gui.clipboard import SecretClipboard
from app.gui.controller import Controller
from app.gui.errors import show_error
from app.gui.health_ui import HealthUi
from app.gui.log_pane import LogPane
from app.gui.main_actions import (
    FAILED_TITLES,
    RESULT_TITLES,
    ask_forget,
    ask_rotate,
    ask_unregister,
    build_actions,
    result_text,
)
from app.gui.main_central import EmptyState, build_central, build_status_bar
from app.gui.models import (
    PartnersFilterProxy,
    PartnersTableModel,
    RecordRole,
)
from app.gui.partner_view import PartnerView
from app.gui.theme import app_icon
from app.gui.window_layout import (
    DEFAULT_SIZE,
    fit_first_show,
    restore_layout,
    save_layout,
    window_state,
)
from app.vault import PartnerRecord

TOUCH_DELAY_MS = 30  # touches within this window are refreshed together
TOUCH_SLICE = 12  # partners refreshed per turn of the event loop

DOCK_TABS_MS = 500  # the panes' tab bars lose the focus this long after the window is made

if TYPE_CHECKING:  # each loads when first opened: the wizards pull the engine's inputs
    from app.engine.results import RunResult
    from app.gui.export_dialog import ExportDialog  # (httpx, pydantic), not needed to
    from app.gui.settings_dialog import SettingsDialog  # draw the partners list (issue 13)
    from app.gui.wizard_invite import InviteWizard
    from app.gui.wizard_sender import SenderWizard


def front_not_close(dock: QDockWidget) -> None:
    """The pane's View action brings it to the front when it is open behind another pane's
    tab, instead of closing it unseen: Ctrl+L with the audit trail in front hid the log,
    and nothing seemed to happen (session 24 walk; the tab bars take no focus, so the
    action is the keyboard's way to a pane). Open and in front, it closes as before."""
    was_in_front = [True]

    def toggled(checked: bool) -> None:  # before the action's trigger closes the pane
        if not checked:  # (behind a tab, Qt parks it outside the window: "visible")
            was_in_front[0] = dock.isVisible() and not dock.visibleRegion().isEmpty()

    def triggered(shown: bool) -> None:
        if not shown and not was_in_front[0]:
            dock.show()
            dock.raise_()

    action = dock.toggleViewAction()
    action.toggled.connect(toggled)
    action.triggered.connect(triggered)


class MainWindow(QMainWindow):
    """Partners, their detail, and everything one does with them."""

    closed = Signal()
    onboard_action: QAction
    invite_action: QAction
    rotate_action: QAction
    unregister_action: QAction
    check_action: QAction
    retry_action: QAction
    resume_action: QAction
    forget_action: QAction
    export_action: QAction
    settings_action: QAction
    sandbox_action: QAction
    toolbar: QToolBar
    view_menu: QMenu
    stack: QStackedWidget
    empty: EmptyState
    search: QLineEdit
    status_filter: QComboBox
    table: QTableView
    count: QLabel
    partner_view: PartnerView
    splitter: QSplitter
    endpoint_label: QLabel
    busy_label: QLabel

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
        self._refreshing_rows = False  # inside _refresh_rows (a selection it moves waits)
        self._latest_run_later = False  # the log shows the selection's latest run after
        self.invite_wizard: InviteWizard | None = None
        self.setWindowTitle("OCPI Onboard")
        self.setWindowIcon(app_icon())
        self.resize(DEFAULT_SIZE)  # bounded by the screen's room when first shown
        self.setMinimumSize(760, 520)

        self.model = PartnersTableModel(self)
        self.proxy = PartnersFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        build_actions(self)
        build_central(self)
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
        for dock in (self.log_pane, self.audit_pane):  # shown by its action: in front
            front_not_close(dock)
            dock.toggleViewAction().triggered.connect(
                lambda shown, dock=dock: self._on_dock_shown(dock, shown)
            )
            dock.dockLocationChanged.connect(lambda _area: self._dock_tabs_take_no_focus())
        QTimer.singleShot(DOCK_TABS_MS, self, self._dock_tabs_take_no_focus)
        build_status_bar(self)
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
        # the actions read the detail's health (Retry, Resume): again after its later redraw
        self.partner_view.redrawnLater.connect(self._on_partner_view_redrawnLater)
        # The saved layout first: a list sorted by another column than the default then
        # sorts once, when the partners arrive, not again after (issue 13: a second sort of
        # 200 rows was ~12 ms of the start, each comparison two calls into the model)
        self._fit_on_show = not restore_layout(self)
        self.reload_partners()

    def _dock_tabs_take_no_focus(self) -> None:
        """The tab bars Qt makes for tabbed panes (Log | Audit) take no focus: with one pane
        shown, Qt parks its bar outside the window, and Tab stopped there, on nothing a
        person could see. The View actions (Ctrl+L, Ctrl+Shift+A) pick a pane. Done once
        the start is over (DOCK_TABS_MS: nothing of it on the way to the first paint, issue
        13), and again when a pane is shown or moved (Qt may make a bar then)."""
        from PySide6.QtWidgets import QTabBar

        children = Qt.FindChildOption.FindDirectChildrenOnly
        for bar in self.findChildren(QTabBar, options=children):
            bar.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def _on_dock_shown(self, dock: QDockWidget, shown: bool) -> None:
        """A pane its View action showed comes to the front of the panes tabbed with it:
        Ctrl+Shift+A showed the audit trail behind the log, and nothing seemed to happen."""
        if shown:
            dock.raise_()
        QTimer.singleShot(0, self, self._dock_tabs_take_no_focus)  # once the panes are laid out

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
        if not self._touch_timer.isActive():  # a throttle: a busy sweep must not starve it
            self._touch_timer.start(TOUCH_DELAY_MS)

    def _refresh_touched(self, first: int | None = None, *, now: bool = False) -> None:
        """The touched rows (`first` among them), then the detail if it shows one of them:
        `now` beside an outcome shown at once, else on a turn of its own (once however
        many touches), unless a new selection has just drawn it."""
        shown = self.partner_view.shown
        seen = self._refresh_rows(first)
        selected = self.partner_view.partner
        if selected is not None and selected.id in seen and self.partner_view.shown == shown:
            if now:
                self.partner_view.refresh()
            else:
                self.partner_view.refresh_soon()
        self._update_count()
        self._update_actions()
        self.health_ui.update_actions()  # with the rows, not with the detail's later redraw

    def _refresh_rows(self, first: int | None = None) -> set[int]:
        """Update the partners runs touched (and rows they may have replaced) a slice per
        turn of the loop (`first` among them; one health read), so a sweep touching hundreds
        never freezes the window. Returns the partners updated."""
        todo = [] if first is None else [first]
        todo += sorted(self._touched - {first})[: TOUCH_SLICE - len(todo)]
        self._touched.difference_update(todo)
        seen: set[int] = set()
        self._refreshing_rows = True
        try:
            self._refresh_batches(todo, seen)
        finally:
            self._refreshing_rows = False
        self._touched.difference_update(seen)
        if self._touched:
            self._touch_timer.start(0)
        self.stack.setCurrentIndex(1 if self.model.rowCount() else 0)
        return seen

    def _refresh_batches(self, todo: list[int], seen: set[int]) -> None:
        """The rows of `todo`, then of the rows each replaced (same CC-PID), into `seen`."""
        while todo:
            batch = [pid for pid in dict.fromkeys(todo) if pid not in seen]
            todo = []
            seen.update(batch)
            found = {pid: self.controller.partner(pid) for pid in batch}
            for gone in [pid for pid, record in found.items() if record is None]:
                self.model.remove(gone)
            records = [record for record in found.values() if record is not None]
            verdicts = self.controller.health(records) if records else {}
            for record in records:
                assert record.id is not None
                self.model.upsert(record, verdicts.get(record.id))
                todo += [pid for pid in self.model.same_identity(record) if pid not in seen]

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
        self.audit_pane.set_partner(partner_id)
        if self._refreshing_rows:
            # the rows' refresh moved the selection (a re-registration's replaced row hands
            # over to the new one, as Qt moves a removed current row): the detail follows on
            # a turn of its own, as for any background change, not inside the refresh (4-7
            # ms beside the list's work); the actions follow the row now (its health)
            self._latest_run_later = True
            self.partner_view.show_partner_soon(partner_id)
        else:
            self._latest_run_later = False
            self.partner_view.show_partner(partner_id)
            self._show_latest_run()
        self._update_actions()

    def _show_latest_run(self) -> None:
        runs = self.partner_view.runs()
        if runs:  # a newly chosen partner: its latest run in the log pane
            self.log_pane.show_run(runs[0].id)

    def _on_partner_view_redrawnLater(self) -> None:
        if self._latest_run_later:
            self._latest_run_later = False
            self._show_latest_run()
        self._update_actions()  # the actions read the detail's runs (Export)

    def _update_actions(self) -> None:
        partner = self.selected_partner()
        registered = partner is not None and partner.status == "registered"
        idle = not self.controller.busy("manage")
        for action in (self.rotate_action, self.unregister_action, self.check_action):
            action.setEnabled(registered and idle)
        offers = self.controller.offers(partner) if partner is not None else Offers()
        # the row's health (refreshed with the row), not the detail's: that one may be
        # drawn a turn later (PartnerView.refresh_soon, show_partner_soon)
        health = self.model.health(partner.id) if partner is not None else None
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
        from app.gui.wizard_sender import SenderWizard

        wizard = SenderWizard.ready(self.controller, self.clipboard, self)
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
        from app.gui.wizard_invite import InviteWizard

        wizard = InviteWizard(self.controller, self.clipboard, self)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.partnerReady.connect(self._on_wizard_partnerReady)
        wizard.exportRequested.connect(self.open_export)
        wizard.destroyed.connect(lambda: setattr(self, "invite_wizard", None))
        self.invite_wizard = wizard
        wizard.show()
        return wizard

    def _on_wizard_partnerReady(self, partner_id: int) -> None:
        shown = self.partner_view.shown
        self._refresh_rows(partner_id)  # its detail is drawn once, below
        self._update_count()
        self._update_actions()
        if (
            self._selected_id == partner_id or not self.select_partner(partner_id)
        ) and self.partner_view.shown == shown:  # no new selection drew it
            self.partner_view.refresh_soon()
        self.health_ui.update_actions()  # with the row, not with the detail's later redraw

    def confirm_rotate(self, partner: PartnerRecord) -> bool:
        return ask_rotate(self, partner)

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
        return ask_forget(self, partner, live)

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
        return ask_unregister(self, partner)

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
        from app.gui.export_dialog import ExportDialog

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
        from app.gui.settings_dialog import SettingsDialog

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
            # "shown only as fingerprints" was untrue: Reveal and Copy give a token's value
            "handshake. Tokens are stored encrypted and shown as fingerprints; a token's value"
            " only when you press Reveal or Copy.",
        )

    # ---- results --------------------------------------------------------------------------------
    def _on_controller_operationFinished(self, kind: str, result: RunResult) -> None:
        if result.partner_id is not None:  # the detail current with the outcome's banner
            self._refresh_touched(result.partner_id, now=True)
        self.partner_view.show_result(RESULT_TITLES.get(kind, "Done"), result_text(kind, result))
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

    # ---- window state (app/gui/window_layout.py) ------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        if self._fit_on_show:  # a first start: the default, within the screen's room
            self._fit_on_show = False
            fit_first_show(self)
        super().showEvent(event)

    def save_state(self) -> None:
        save_layout(self)

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
