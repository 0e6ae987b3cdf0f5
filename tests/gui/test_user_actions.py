"""The main window's actions as a person triggers them: toolbar buttons, menus, shortcuts.

Issue 9: `QAction.triggered(bool)` passed `checked=False` into the Onboard slot's sandbox
parameter, so the toolbar, Partner ▸ Onboard partner… and Ctrl+N all failed while the tests
(which called the slot) passed. These tests click the real toolbar button, trigger the menu
action and type the shortcut; they never call a window method to open anything.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox

from app.gui.wizard_invite import InviteWizard
from app.gui.wizard_sender import SenderWizard
from tests.gui.helpers import activate


def _no_error_box() -> None:
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    assert not [b for b in boxes if b.isVisible()], [b.text() for b in boxes]


def _menu_action(window: Any, menu_title: str, text: str) -> QAction:
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == menu_title:
            menu = top.menu()
            assert isinstance(menu, QMenu)
            for action in menu.actions():
                if action.text().replace("&", "") == text:
                    return action
    raise AssertionError(f"no {menu_title} ▸ {text}")


def _sender_opened(qtbot: Any, window: Any) -> SenderWizard:
    qtbot.waitUntil(lambda: window.sender_wizard is not None, timeout=5000)
    wizard = window.sender_wizard
    assert isinstance(wizard, SenderWizard)
    qtbot.waitUntil(wizard.isVisible, timeout=5000)
    return wizard


def _assert_plain_onboarding(qtbot: Any, window: Any) -> None:
    """The Onboard wizard for a real partner: empty fields, not the sandbox, no error."""
    wizard = _sender_opened(qtbot, window)
    assert wizard.windowTitle() == "Onboard partner — OCPI Onboard"
    assert wizard.sender_flow.sandbox_fault is None
    assert wizard.receive_page.url_edit.text() == ""
    assert wizard.receive_page.sandbox_banner.isHidden()
    _no_error_box()
    wizard.reject()
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)


def test_toolbar_onboard_button_opens_the_plain_wizard(qtbot: Any, window: Any) -> None:
    button = window.toolbar.widgetForAction(window.onboard_action)
    assert button is not None and button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    _assert_plain_onboarding(qtbot, window)


def test_partner_menu_onboard_opens_the_plain_wizard(qtbot: Any, window: Any) -> None:
    _menu_action(window, "Partner", "Onboard partner…").trigger()
    _assert_plain_onboarding(qtbot, window)


def test_ctrl_n_opens_the_plain_wizard(qtbot: Any, window: Any) -> None:
    activate(qtbot, window)
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    _assert_plain_onboarding(qtbot, window)


def test_ctrl_shift_n_opens_the_sandbox_wizard(qtbot: Any, window: Any) -> None:
    activate(qtbot, window)
    QTest.keySequence(window, QKeySequence("Ctrl+Shift+N"))
    wizard = _sender_opened(qtbot, window)
    assert wizard.sender_flow.sandbox_fault == "none"
    page = wizard.receive_page
    qtbot.waitUntil(lambda: bool(page.url_edit.text()) and page.isComplete(), timeout=20_000)
    _no_error_box()
    wizard.reject()


def test_invite_from_toolbar_menu_and_shortcut(qtbot: Any, window: Any) -> None:
    opened: list[InviteWizard] = []

    def check_and_close() -> None:
        qtbot.waitUntil(lambda: window.invite_wizard is not None, timeout=5000)
        wizard = window.invite_wizard
        assert isinstance(wizard, InviteWizard) and wizard.isVisible()
        _no_error_box()
        opened.append(wizard)
        wizard.reject()
        qtbot.waitUntil(lambda: window.invite_wizard is None, timeout=5000)

    qtbot.mouseClick(
        window.toolbar.widgetForAction(window.invite_action), Qt.MouseButton.LeftButton
    )
    check_and_close()
    _menu_action(window, "Partner", "Invite partner…").trigger()
    check_and_close()
    activate(qtbot, window)
    QTest.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    check_and_close()
    assert len(opened) == 3


def test_sandbox_fault_menu_rehearses_that_fault(qtbot: Any, window: Any) -> None:
    sandbox = next(
        a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Sandbox"
    )
    faults = next(a.menu() for a in sandbox.actions() if a.menu() is not None)
    action = next(a for a in faults.actions() if a.text() == "no-callback")
    action.trigger()
    wizard = _sender_opened(qtbot, window)
    assert wizard.sender_flow.sandbox_fault == "no-callback"
    wizard.reject()


def test_settings_from_toolbar_and_menu(qtbot: Any, window: Any) -> None:
    from app.gui.settings_dialog import SettingsDialog

    def dialog() -> SettingsDialog | None:
        found = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, SettingsDialog) and w.isVisible()
        ]
        return found[0] if found else None

    qtbot.mouseClick(
        window.toolbar.widgetForAction(window.settings_action), Qt.MouseButton.LeftButton
    )
    qtbot.waitUntil(lambda: dialog() is not None, timeout=5000)
    d = dialog()
    assert d is not None
    d.reject()
    qtbot.waitUntil(lambda: dialog() is None, timeout=5000)
    _menu_action(window, "File", "Settings…").trigger()
    qtbot.waitUntil(lambda: dialog() is not None, timeout=5000)
    d = dialog()
    assert d is not None
    d.reject()


def test_ctrl_f_focuses_the_search(qtbot: Any, window: Any) -> None:
    from tests.gui.helpers import activate, register_sandbox

    register_sandbox(qtbot, window.controller)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == 1, timeout=5000)
    activate(qtbot, window)
    window.table.setFocus()
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.search.hasFocus, timeout=2000)


def _menu_actions(window: Any) -> list[QAction]:
    found: list[QAction] = []
    todo = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
    while todo:
        menu = todo.pop()
        for action in menu.actions():
            if action.menu() is not None:
                todo.append(action.menu())
            elif not action.isSeparator():
                found.append(action)
    return found


# Quit ends the window the other tests still need; every other action is triggered
NOT_TRIGGERED = {"Quit"}


class _Answerer:
    """Answers a modal question (Rotate? Unregister? Forget?) with its Cancel, as a person
    who changes their mind; remembers each, so an error box among them fails the test."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, QMessageBox.Icon]] = []
        self.timer = QTimer()
        self.timer.timeout.connect(self._on_timer_timeout)
        self.timer.start(50)

    def _on_timer_timeout(self) -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QMessageBox):
            self.seen.append((modal.text(), modal.icon()))
            modal.reject()
        elif modal is not None and hasattr(modal, "reject"):
            modal.reject()


def test_every_menu_action_runs_without_an_error(qtbot: Any, window: Any) -> None:
    """The audit: each menu action triggered as a click would; no error box, no exception."""
    from tests.gui.helpers import register_sandbox

    register_sandbox(qtbot, window.controller)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == 1, timeout=5000)
    window.table.selectRow(0)
    actions = [a for a in _menu_actions(window) if a.text().replace("&", "") not in NOT_TRIGGERED]
    assert len(actions) >= 10, [a.text() for a in actions]
    answerer = _Answerer()
    for action in actions:
        if not action.isEnabled():
            continue
        action.trigger()
        qtbot.waitUntil(lambda: not window.controller.busy("manage"), timeout=20_000)
        _no_error_box()
        for widget in QApplication.topLevelWidgets():
            if widget is not window and widget.isVisible() and hasattr(widget, "reject"):
                widget.reject()
        qtbot.waitUntil(
            lambda: window.sender_wizard is None and window.invite_wizard is None, timeout=5000
        )
    answerer.timer.stop()
    errors = [text for text, icon in answerer.seen if icon == QMessageBox.Icon.Critical]
    assert not errors, errors
