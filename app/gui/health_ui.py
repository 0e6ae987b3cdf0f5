"""Connection health in the main window: the Verify, Accept drift and Suspected compromise
actions, the detail view's Health tab, the list's health columns and the liveness loop.

Installed by the window with one call (`HealthUi(window)`), so the window's own file keeps
its shape; everything here goes through the controller and `HealthOps`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from app.core.diagnosis import Diagnosis
from app.engine.connection_health import ConnectionFacts, extra_findings
from app.gui.health_ops import HealthIntent, HealthOps
from app.gui.partner_view import LATER_MS
from app.vault import PartnerRecord
from app.vault.snapshots import Snapshots

if TYPE_CHECKING:
    from app.engine.results import RunResult
    from app.gui.health_tab import HealthTab
    from app.gui.main_window import MainWindow


class HealthUi(QObject):
    """Wires health operations into one main window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.controller = window.controller
        self.ops = HealthOps(self.controller, self)
        self.facts: dict[int, ConnectionFacts] = window.model.connection_facts
        self._verified: tuple[int, str, str] | None = None  # shown with the next refresh
        self._report_for: int | None = None  # the partner whose report opens (LATER_MS)
        self._report_timer = QTimer(self)
        self._report_timer.setSingleShot(True)
        self._report_timer.setInterval(LATER_MS)
        self._report_timer.timeout.connect(self._open_report)
        self.controller.health_extra = self._extra  # type: ignore[method-assign]
        self.verify_action = self._action(
            "&Verify connection",
            self.verify_selected,
            "Ctrl+Shift+V",
            "Read-only conformance run with our token: versions, details, modules, pages,"
            " request ids, our own endpoint (stable check ids, a fix for each)",
        )
        self.accept_action = self._action(
            "&Accept drift",
            self.accept_selected,
            None,
            "Store what the partner offers now as the baseline (a newer common version is"
            " taken by a credentials PUT at that version)",
        )
        self.compromise_action = self._action(
            "Suspected co&mpromise…",
            self.compromise_selected,
            None,
            "Rotate the credentials now and write an incident transcript of every run",
        )
        partner_menu = next(
            menu
            for a in window.menuBar().actions()
            if isinstance(menu := a.menu(), QMenu) and a.text().replace("&", "") == "Partner"
        )
        anchor = window.rotate_action
        partner_menu.insertAction(anchor, self.verify_action)
        partner_menu.insertActions(
            window.unregister_action, [self.accept_action, self.compromise_action]
        )
        window.toolbar.insertAction(window.rotate_action, self.verify_action)
        self._tab: HealthTab | None = None  # with the partner's detail, on its first use
        window.partner_view.when_built(self._add_tab)
        header = window.table.horizontalHeader()  # health first: visible at any width
        header.moveSection(header.visualIndex(window.model.COL_HEALTH), 0)
        window.partner_view.show_hooks.append(self._show_partner)
        window.partner_view.redrawnLater.connect(self.update_actions)
        self.ops.verifyFinished.connect(self._on_ops_verifyFinished)
        self.ops.driftAccepted.connect(self._on_ops_driftAccepted)
        self.ops.compromiseHandled.connect(self._on_ops_compromiseHandled)
        self.ops.failed.connect(self._on_ops_failed)
        window.table.selectionModel().selectionChanged.connect(self.update_actions)
        self.controller.busyChanged.connect(self.update_actions)
        self.update_actions()

    def _add_tab(self) -> None:
        from app.gui.health_tab import HealthTab

        tabs = self.window.partner_view.tabs
        self._tab = tab = HealthTab(self.verify_action, self.accept_action, self.compromise_action)
        tabs.addTab(tab, "Hea&lth")
        # Tab goes from the tab bar into this page: built after the detail's other pages,
        # its widgets came after them in the focus chain, so Tab skipped them
        previous: QWidget = tabs.tabBar()
        for widget in (tab.verify_button, tab.report_button, tab.accept_button,
                       tab.compromise_button, tab.drift):  # fmt: skip
            QWidget.setTabOrder(previous, widget)
            previous = widget
        self.update_actions()
        # a turn later: the report's dialog laid out ahead of its first opening
        QTimer.singleShot(LATER_MS, tab.dialog, tab.dialog.prepare)

    @property
    def tab(self) -> HealthTab:
        """The detail's Health tab (the detail is built if it was not yet)."""
        self.window.partner_view.build_detail()
        assert self._tab is not None
        return self._tab

    def _action(self, text: str, slot: Any, shortcut: str | None, tip: str) -> QAction:
        action = QAction(text, self.window)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.window.addAction(action)
        return action

    # ---- health for the list and the detail ----------------------------------------------
    def _extra(self, partners: list[PartnerRecord]) -> Any:
        settings = self.controller.settings  # read only (a copy cost ~0.5 ms a refresh)
        facts, extra = extra_findings(
            self.controller.vault, partners, int(getattr(settings, "rotation_days", 30) or 30)
        )
        # a partner's facts kept when they read the same: a liveness sweep judges every
        # partner, and new equal facts (with their lists) were ~4,000 objects more for the
        # full collection after it to walk at 2,000 partners (issue 13)
        kept = self.facts
        kept.update({pid: new for pid, new in facts.items() if kept.get(pid) != new})
        liveness = self.ops.liveness

        def more(partner: PartnerRecord) -> list[Any]:
            found = extra(partner)
            alive = liveness.finding(partner.id) if partner.id is not None else None
            return found + ([alive] if alive is not None else [])

        return more

    def _show_partner(self, partner: PartnerRecord) -> None:
        verified, self._verified = self._verified, None
        if partner.id is None:
            return
        view = self.window.partner_view  # it judged this partner just now: not twice
        same = view.partner is partner and view.health is not None
        health = view.health if same else self.controller.partner_health(partner)
        partner_id = partner.id

        def fill() -> None:
            history = Snapshots(self.controller.vault).history(partner_id, 30)
            self.tab.show_partner(partner, health, self.facts.get(partner_id), history)

        if verified is not None or self.tab.dialog.isVisible():
            fill()  # the outcome's report, or the open one, with the detail now
        else:
            view.fill_when_seen(self.tab, fill)  # hidden in a background refresh: later
        self.update_actions()
        if verified is not None and verified[0] == partner.id:
            # the verify's outcome with the detail it changed; its report a turn later
            view.show_result("Verify finished", verified[1], verified[2])
            self._report_for = partner.id
            self._report_timer.start()

    # ---- actions ---------------------------------------------------------------------------
    def _selected(self) -> PartnerRecord | None:
        partner = self.window.selected_partner()
        if partner is None or partner.id is None or partner.status != "registered":
            return None
        return partner

    def update_actions(self, *_args: Any) -> None:
        partner = self._selected()
        idle = not self.controller.busy("verify") and not self.controller.busy("manage")
        registered = partner is not None
        facts = self.facts.get(partner.id) if partner is not None and partner.id else None
        self.verify_action.setEnabled(registered and idle)
        self.accept_action.setEnabled(registered and idle and bool(facts and facts.open_drift))
        self.compromise_action.setEnabled(registered and idle)
        if self._tab is not None:
            self._tab.verify_button.setEnabled(self.verify_action.isEnabled())
            self._tab.accept_button.setEnabled(self.accept_action.isEnabled())
            self._tab.compromise_button.setEnabled(self.compromise_action.isEnabled())

    def verify_selected(self) -> None:
        partner = self._selected()
        if partner is not None and partner.id is not None:
            self.ops.verify(partner.id, probe_auth=False)
            self.update_actions()

    def accept_selected(self) -> None:
        partner = self._selected()
        if partner is not None and partner.id is not None:
            self.ops.accept_drift(partner.id)
            self.update_actions()

    def confirm_compromise(self, partner: PartnerRecord) -> bool:
        answer = QMessageBox.warning(
            self.window,
            "Suspected compromise",
            f"Rotate the credentials with {partner.ref} now? New tokens replace the old ones on"
            " both sides at once, and an incident transcript of every run with this partner is"
            " written for your security team.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def compromise_selected(self) -> None:
        partner = self._selected()
        if partner is not None and partner.id is not None and self.confirm_compromise(partner):
            self.ops.suspected_compromise(partner.id)
            self.update_actions()

    # ---- results ---------------------------------------------------------------------------
    def _refresh(self) -> None:
        self.window.partner_view.refresh()
        self.update_actions()

    def _on_ops_verifyFinished(self, partner_id: int, report: dict[str, Any]) -> None:
        summary = report.get("summary") or {}
        text = ", ".join(f"{summary.get(s, 0)} {s}" for s in ("pass", "warn", "fail", "skip"))
        level = "error" if summary.get("fail") else "warning" if summary.get("warn") else "ok"
        # The run's end, the detail's refresh and the report's rows with their first paints
        # in one or two turns stopped the window for 20-35 ms (issue 13): the detail (with
        # this outcome in its banner) follows LATER_MS after, the report LATER_MS after it.
        self._verified = (partner_id, text, level)
        self.window.partner_view.refresh_soon()
        self.update_actions()

    def _open_report(self) -> None:
        partner = self.tab._partner
        if partner is not None and partner.id == self._report_for:
            self.tab.open_report(later=True)

    def report_pending(self) -> bool:
        """A verify's report is about to open (its timer, or its rows being added)."""
        return self._report_timer.isActive() or self.tab.dialog.opening()

    def _on_ops_driftAccepted(self, partner_id: int, result: RunResult) -> None:
        upgraded = result.extra.get("upgraded_to")
        accepted = result.extra.get("accepted_drift") or []
        text = f"Upgraded to OCPI {upgraded}. " if upgraded else ""
        text += f"{len(accepted)} change(s) accepted as the new baseline."
        self.window.partner_view.show_result("Drift accepted", text, "ok")
        self._refresh()

    def _on_ops_compromiseHandled(self, partner_id: int, result: RunResult, path: str) -> None:
        if result.ok:
            self.window.partner_view.show_result(
                "Credentials rotated (suspected compromise)",
                f"New tokens in place: we present {result.token_c_fingerprint}. Incident"
                f" transcript: {path}",
                "ok",
            )
        elif result.diagnosis is not None:
            self.window.partner_view.show_diagnosis(result.diagnosis, "Rotation failed")
        self._refresh()

    def _on_ops_failed(self, intent: HealthIntent, partner_id: int, diagnosis: Diagnosis) -> None:
        titles: dict[HealthIntent, str] = {"verify": "Verify failed",
            "accept_drift": "Accept drift failed", "compromise": "Rotation failed"}  # fmt: skip
        self.window.partner_view.show_diagnosis(diagnosis, titles.get(intent, "Failed"))
        self._refresh()

    def close(self) -> None:
        """The window closes: no more ticks, in-flight probes cancelled."""
        self.ops.stop()
