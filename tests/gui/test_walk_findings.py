"""Small wrong things seen walking the real app by keyboard (session 21, Xvfb 1024x700).

- Tab inside the partners list and the log walked cell by cell, sideways through every
  column, and never left the table: a keyboard user was stuck in it.
- A status message ("Transcript written to PATH", a menu item's tip) was cut mid-word by
  the endpoint and vault labels beside it.
- The Sandbox menu's fault rehearsals were bare CLI names ("token-c-equals-b") with no
  word on what each does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QLabel,
    QMenu,
    QTabBar,
    QTabWidget,
)

from app.gui.export_dialog import ExportDialog
from app.sandbox import Fault
from tests.gui.helpers import activate, register_sandbox, run_sender_wizard, select_when_listed


def _tab() -> None:
    target = QApplication.focusWidget()
    assert target is not None, "nothing has the keyboard focus"
    QTest.keyClick(target, Qt.Key.Key_Tab)
    QApplication.processEvents()


def test_tab_leaves_the_partners_list_and_the_log(qtbot: Any, window: Any, controller: Any) -> None:
    result = register_sandbox(qtbot, controller)
    select_when_listed(qtbot, window, result.partner_id)
    activate(qtbot, window)
    table = window.table
    rect = table.visualRect(table.model().index(0, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert QApplication.focusWidget() is table
    column = table.currentIndex().column()
    _tab()
    assert QApplication.focusWidget() is not table, "Tab stayed in the partners list"
    assert table.currentIndex().column() == column  # the list did not scroll sideways
    pane = window.log_pane
    qtbot.waitUntil(lambda: pane.proxy.rowCount() > 0, timeout=5000)
    log = pane.table
    rect = log.visualRect(pane.proxy.index(pane.proxy.rowCount() - 1, 2))  # shown: the end
    qtbot.mouseClick(log.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert QApplication.focusWidget() is log
    _tab()
    assert QApplication.focusWidget() is not log, "Tab stayed in the log"


def test_a_status_message_gets_the_whole_bar(qtbot: Any, window: Any, tmp_path: Path) -> None:
    run_sender_wizard(qtbot, window)
    window.sender_wizard.reject()
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)
    activate(qtbot, window)
    bar = window.statusBar()
    beside = [w for w in bar.findChildren(type(window.endpoint_label)) if w.isVisible()]
    assert window.endpoint_label in beside  # the endpoint and the vault, while no message
    pane = window.log_pane
    qtbot.mouseClick(pane.export_button, Qt.MouseButton.LeftButton)
    dialog = next(
        w for w in QApplication.topLevelWidgets() if isinstance(w, ExportDialog) and w.isVisible()
    )
    target = tmp_path / ("a-long-folder-name-for-the-support-ticket" * 2) / "transcript.html"
    dialog.path_edit.setFocus()
    dialog.path_edit.selectAll()
    QTest.keyClicks(dialog.path_edit, str(target))
    QTest.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(target.exists, timeout=5000)
    message = bar.currentMessage()
    assert message == f"Transcript written to {target}"
    assert not any(w.isVisible() for w in beside), "the message shares the bar"
    bar.clearMessage()
    assert all(w.isVisible() for w in beside)


def test_each_fault_rehearsal_says_what_it_does(qtbot: Any, window: Any) -> None:
    sandbox = next(
        a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Sandbox"
    )
    faults = next(a.menu() for a in sandbox.actions() if a.menu() is not None)
    assert isinstance(faults, QMenu) and faults.toolTipsVisible()
    names = [a.text() for a in faults.actions()]
    assert names == [f.value for f in Fault if f != Fault.NONE]  # the CLI's --fault names
    tips = {a.text(): a.toolTip() for a in faults.actions()}
    assert all(tip and tip != name for name, tip in tips.items()), tips
    assert "TOKEN_B" in tips["token-c-equals-b"]
    # hovering an item shows its tip in the status bar, whole
    activate(qtbot, window)
    faults.popup(window.mapToGlobal(window.rect().center()))
    qtbot.waitUntil(faults.isVisible, timeout=5000)
    action = faults.actions()[3]
    QTest.mouseMove(faults, faults.actionGeometry(action).center())
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == action.toolTip(), timeout=5000)
    assert not window.endpoint_label.isVisible()
    faults.hide()


def test_tab_from_the_health_tab_goes_into_its_page(
    qtbot: Any, window: Any, controller: Any
) -> None:
    """Seen walking the app: from the tab bar on Health, Tab jumped to the log pane (the
    page is built after the log, so its buttons came last in the focus chain)."""
    result = register_sandbox(qtbot, controller)
    select_when_listed(qtbot, window, result.partner_id)
    # Verify is enabled once the row says registered (listed first as the vault had it)
    qtbot.waitUntil(lambda: window.health_ui.verify_action.isEnabled(), timeout=5000)
    activate(qtbot, window)
    tabs = window.partner_view.tabs
    tab = window.health_ui.tab
    QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)  # Hea&lth
    qtbot.waitUntil(lambda: tabs.currentWidget() is tab, timeout=5000)
    tabs.tabBar().setFocus()
    _tab()
    assert QApplication.focusWidget() is tab.verify_button
    _tab()  # Show report… and Accept drift are disabled: the next is Suspected compromise…
    assert QApplication.focusWidget() is tab.compromise_button


def test_tab_leaves_every_table_of_the_window(qtbot: Any, window: Any, controller: Any) -> None:
    """The token, endpoint, history, drift and audit tables trapped Tab as the list did."""
    result = register_sandbox(qtbot, controller)
    select_when_listed(qtbot, window, result.partner_id)
    activate(qtbot, window)
    tabs = window.partner_view.tabs
    bar = tabs.tabBar()
    checked = set()
    for page in range(tabs.count()):
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(page).center())
        assert tabs.currentIndex() == page
        for view in window.findChildren(QAbstractItemView):
            if not view.isVisible() or view in checked or view.height() < 30:
                continue
            checked.add(view)
            view.scrollToTop()
            qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
            if QApplication.focusWidget() is not view:
                view.setFocus()  # a view whose viewport takes no click focus (none today)
            _tab()
            assert QApplication.focusWidget() is not view, view.accessibleName()
    names = {v.accessibleName() for v in checked}
    assert {"Partners", "Log entries", "Drift history"} <= names, names


def _letters(root: Any, window: Any) -> list[str]:
    """The mnemonic letters a person can use now: menus, buttons, tabs, labels."""
    texts = [a.text() for a in window.menuBar().actions()] if root is window else []
    texts += [b.text() for b in root.findChildren(QAbstractButton) if b.isVisible()]
    texts += [
        bar.tabText(i) for bar in root.findChildren(QTabBar) if bar.isVisible()
        for i in range(bar.count())
    ]  # fmt: skip
    texts += [
        label.text()
        for label in root.findChildren(QLabel)
        if label.isVisible() and label.buddy() is not None
    ]
    return [m.group(1).lower() for t in texts if (m := re.search(r"&([^&])", t))]


def test_no_two_mnemonics_share_a_letter(qtbot: Any, window: Any, controller: Any) -> None:
    """Seen walking by keys: Alt+H went to the History tab, never to the Help menu (and
    Partner/Profile, View/Verify now, Credentials/Suspected compromise, TOKEN_A/Partner
    type shared their letters): an ambiguous mnemonic only moves the focus between them."""
    result = register_sandbox(qtbot, controller)
    select_when_listed(qtbot, window, result.partner_id)
    activate(qtbot, window)
    tabs = window.partner_view.tabs
    for page in range(tabs.count()):
        tabs.setCurrentIndex(page)
        letters = _letters(window, window)
        assert len(letters) == len(set(letters)), (tabs.tabText(page), sorted(letters))
    QTest.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None, timeout=5000)
    popup = QApplication.activePopupWidget()
    assert any("About" in a.text() for a in popup.actions())  # the Help menu opened
    popup.close()
    wizard = window.open_sender_wizard(sandbox_fault="none")
    qtbot.waitUntil(lambda: bool(wizard.receive_page.url_edit.text()), timeout=20_000)
    letters = _letters(wizard, window)
    assert len(letters) == len(set(letters)), sorted(letters)
    wizard.reject()
    # the dialogs too: Settings (Public URL and the Vault tab shared the U), Export, Invite
    settings = window.open_settings()
    qtbot.waitUntil(settings.isVisible, timeout=5000)
    pages = settings.findChild(QTabWidget)
    for page in range(pages.count()):
        pages.setCurrentIndex(page)
        letters = _letters(settings, window)
        assert len(letters) == len(set(letters)), (pages.tabText(page), sorted(letters))
    settings.reject()
    export = window.open_export()
    qtbot.waitUntil(export.isVisible, timeout=5000)
    letters = _letters(export, window)
    assert len(letters) == len(set(letters)), sorted(letters)
    export.reject()


def test_the_onboard_wizard_opens_ready_to_type(qtbot: Any, window: Any) -> None:
    """Seen walking by keys: Ctrl+N opened the wizard with the focus on its page's scroll
    area, so the URL a person typed went nowhere; and TOKEN_A's Show was enabled with no
    token to show."""
    for attempt in range(2):  # the first wizard, then the one built ahead while idle
        activate(qtbot, window)
        QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: window.sender_wizard is not None, timeout=5000)
        wizard = window.sender_wizard
        qtbot.waitUntil(lambda w=wizard: QApplication.activeWindow() is w, timeout=5000)
        page = wizard.receive_page
        assert QApplication.focusWidget() is page.url_edit, attempt
        QTest.keyClicks(QApplication.focusWidget(), "https://partner.example/ocpi/versions")
        assert page.url_edit.text() == "https://partner.example/ocpi/versions"
        show = page.token.toggle
        assert not show.isEnabled()  # no token yet: nothing to show
        _tab()
        assert QApplication.focusWidget() is page.token.edit
        QTest.keyClicks(page.token.edit, "abc")
        assert show.isEnabled()
        qtbot.mouseClick(show, Qt.MouseButton.LeftButton)
        assert page.token.edit.echoMode() == page.token.edit.EchoMode.Normal
        page.token.edit.selectAll()
        QTest.keyClick(page.token.edit, Qt.Key.Key_Delete)
        assert not show.isEnabled() and not show.isChecked()
        assert page.token.edit.echoMode() == page.token.edit.EchoMode.Password
        wizard.reject()
        qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)
        if attempt == 0:  # wait for the next one to be built ahead, whole
            qtbot.waitUntil(
                lambda: (
                    getattr(window, "_sender_wizard_ahead", None) is not None
                    and window._sender_wizard_ahead._steps is None
                ),
                timeout=20_000,
            )
