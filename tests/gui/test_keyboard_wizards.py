"""Both wizards walked with the keyboard only: Tab, Return, Escape and the Alt mnemonics.

Every key goes to the widget that has the focus (as a keyboard does), never to a slot.
Issue 9: on Register, Return opened Export transcript, Alt+N did nothing, the next Return
went Back to Discover where Next was disabled with no reason; Return in the Export dialog
pressed Browse….
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton, QWizard

from app.gui.export_dialog import ExportDialog
from app.gui.flows import Phase
from app.gui.wizard_invite import InviteWizard
from app.gui.wizard_sender import PAGE_CONFIRM, PAGE_DISCOVER, PAGE_REGISTER, SenderWizard
from tests.gui.helpers import WAIT_MS, activate, press

ALT = Qt.KeyboardModifier.AltModifier


def key(
    qtbot: Any, k: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    """One key press on whatever has the focus (the active window if nothing has)."""
    press(k, modifier)


def export_dialogs() -> list[ExportDialog]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, ExportDialog) and w.isVisible()
    ]


def visible_default(wizard: QWizard) -> QPushButton | None:
    for button in wizard.findChildren(QPushButton):
        if button.isDefault() and button.isVisible():
            return button
    return None


def open_sender_by_keyboard(qtbot: Any, window: Any, *, sandbox: bool) -> SenderWizard:
    activate(qtbot, window)
    if sandbox:
        key(
            qtbot,
            Qt.Key.Key_N,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
    else:
        key(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.sender_wizard is not None, timeout=5000)
    wizard = window.sender_wizard
    assert isinstance(wizard, SenderWizard)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=5000)
    return wizard


def test_sender_wizard_with_return_only(qtbot: Any, window: Any) -> None:
    wizard = open_sender_by_keyboard(qtbot, window, sandbox=True)
    page = wizard.receive_page
    qtbot.waitUntil(lambda: bool(page.url_edit.text()) and page.isComplete(), timeout=WAIT_MS)
    key(qtbot, Qt.Key.Key_Return)
    assert not export_dialogs(), "Return opened Export transcript"
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_DISCOVER, timeout=5000)
    qtbot.waitUntil(wizard.discover_page.isComplete, timeout=WAIT_MS)
    key(qtbot, Qt.Key.Key_Return)
    assert not export_dialogs(), "Return opened Export transcript"
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_REGISTER, timeout=5000)
    # while the registration runs, Return must do nothing (no Back, no Export)
    key(qtbot, Qt.Key.Key_Return)
    assert not export_dialogs(), "Return opened Export transcript"
    assert wizard.currentId() == PAGE_REGISTER
    qtbot.waitUntil(wizard.register_page.isComplete, timeout=WAIT_MS)
    key(qtbot, Qt.Key.Key_Return)
    assert not export_dialogs(), "Return opened Export transcript"
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_CONFIRM, timeout=5000)
    assert not export_dialogs()
    key(qtbot, Qt.Key.Key_Return)  # Finish
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)
    qtbot.waitUntil(lambda: window.selected_partner() is not None, timeout=5000)
    assert window.selected_partner().ref == "NL-SBX"


def test_sender_wizard_with_alt_n_and_tab(qtbot: Any, window: Any) -> None:
    wizard = open_sender_by_keyboard(qtbot, window, sandbox=True)
    page = wizard.receive_page
    qtbot.waitUntil(lambda: bool(page.url_edit.text()) and page.isComplete(), timeout=WAIT_MS)
    # Tab walks the form without leaving the wizard
    for _ in range(4):
        key(qtbot, Qt.Key.Key_Tab)
        assert QApplication.activeWindow() is wizard
    key(qtbot, Qt.Key.Key_N, ALT)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_DISCOVER, timeout=5000)
    qtbot.waitUntil(wizard.discover_page.isComplete, timeout=WAIT_MS)
    # Discover's button reads "&Register >" (it spends TOKEN_A): its mnemonic is Alt+R
    key(qtbot, Qt.Key.Key_R, ALT)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_REGISTER, timeout=5000)
    qtbot.waitUntil(wizard.register_page.isComplete, timeout=WAIT_MS)
    key(qtbot, Qt.Key.Key_N, ALT)  # the commit button ("Next >") answers Alt+N too
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_CONFIRM, timeout=5000)
    key(qtbot, Qt.Key.Key_F, ALT)  # Finish
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)


def test_failed_registration_return_does_not_open_export(
    qtbot: Any, window: Any, tmp_path: Path
) -> None:
    """A failed Register page: Return neither exports nor goes Back; Alt+E exports."""
    window.sandbox_action.setEnabled(True)
    sandbox_menu = next(
        a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Sandbox"
    )
    faults = next(a.menu() for a in sandbox_menu.actions() if a.menu() is not None)
    next(a for a in faults.actions() if a.text() == "html-500").trigger()
    qtbot.waitUntil(lambda: window.sender_wizard is not None, timeout=5000)
    wizard = window.sender_wizard
    activate(qtbot, wizard)
    page = wizard.receive_page
    qtbot.waitUntil(lambda: bool(page.url_edit.text()) and page.isComplete(), timeout=WAIT_MS)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(wizard.discover_page.isComplete, timeout=WAIT_MS)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.sender_flow.phase == Phase.FAILED, timeout=WAIT_MS)
    qtbot.waitUntil(wizard.register_page.export.isVisible, timeout=5000)
    assert not wizard.register_page.export.autoDefault()
    for _ in range(2):
        key(qtbot, Qt.Key.Key_Return)
        assert not export_dialogs(), "Return opened Export transcript"
        assert wizard.currentId() == PAGE_REGISTER, "Return went Back"
    # the reason is on screen and the export is one mnemonic away
    assert wizard.register_page.error.isVisible()
    key(qtbot, Qt.Key.Key_E, ALT)
    qtbot.waitUntil(lambda: bool(export_dialogs()), timeout=5000)
    dialog = export_dialogs()[0]
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=5000)
    target = tmp_path / "keyboard-export.html"
    dialog.path_edit.setFocus()
    dialog.path_edit.selectAll()
    QTest.keyClicks(dialog.path_edit, str(target))
    key(qtbot, Qt.Key.Key_Return)  # Export, not Browse…
    qtbot.waitUntil(target.exists, timeout=5000)
    qtbot.waitUntil(lambda: not export_dialogs(), timeout=5000)
    # Back (Alt+B) lands on Discover showing why Next is unavailable
    activate(qtbot, wizard)
    key(qtbot, Qt.Key.Key_B, ALT)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_DISCOVER, timeout=5000)
    next_button = wizard.button(QWizard.WizardButton.CommitButton)
    if not next_button.isVisible():
        next_button = wizard.button(QWizard.WizardButton.NextButton)
    if not next_button.isEnabled():
        assert wizard.discover_page.error.isVisible(), "Next disabled with no reason shown"
    key(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)


def test_export_dialog_return_presses_export_even_from_browse(
    qtbot: Any, window: Any, tmp_path: Path
) -> None:
    from tests.gui.helpers import register_sandbox

    register_sandbox(qtbot, window.controller)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == 1, timeout=5000)
    window.table.selectRow(0)
    qtbot.waitUntil(window.export_action.isEnabled, timeout=5000)
    activate(qtbot, window)
    key(qtbot, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(export_dialogs()), timeout=5000)
    dialog = export_dialogs()[0]
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=5000)
    assert not dialog.browse.autoDefault()
    target = tmp_path / "from-browse.json"
    dialog.path_edit.setText(str(target))
    dialog.set_format("json")
    dialog.path_edit.setText(str(target))
    dialog.browse.setFocus()  # Tab reached Browse…; Return still exports
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(target.exists, timeout=5000)


def test_invite_wizard_by_keyboard(qtbot: Any, window: Any) -> None:
    activate(qtbot, window)
    key(qtbot, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.invite_wizard is not None, timeout=5000)
    wizard = window.invite_wizard
    assert isinstance(wizard, InviteWizard)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=5000)
    qtbot.waitUntil(wizard.issue_page.isComplete, timeout=WAIT_MS)
    # Alt+R reveals, Return still goes on (Reveal is not the default)
    key(qtbot, Qt.Key.Key_R, ALT)  # a mnemonic clicks after a short animation
    qtbot.waitUntil(wizard.issue_page.reveal.isChecked, timeout=2000)
    key(qtbot, Qt.Key.Key_H, ALT)  # the button now reads "&Hide"
    qtbot.waitUntil(lambda: not wizard.issue_page.reveal.isChecked(), timeout=2000)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.currentId() == 1, timeout=5000)
    key(qtbot, Qt.Key.Key_Return)  # nothing to go on to yet: stays
    assert wizard.currentId() == 1
    key(qtbot, Qt.Key.Key_S, ALT)  # Let the sandbox partner register
    qtbot.waitUntil(wizard.wait_page.isComplete, timeout=WAIT_MS)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.currentId() == 2, timeout=5000)
    key(qtbot, Qt.Key.Key_Return)  # Finish
    qtbot.waitUntil(lambda: window.invite_wizard is None, timeout=5000)
    qtbot.waitUntil(lambda: window.selected_partner() is not None, timeout=5000)


def test_wizard_buttons_other_than_next_are_not_auto_default(qtbot: Any, window: Any) -> None:
    for opener in (window.sandbox_action, window.invite_action):
        opener.trigger()
        wizard = window.sender_wizard or window.invite_wizard
        assert wizard is not None
        qtbot.waitUntil(wizard.isVisible, timeout=5000)
        keep = {
            wizard.button(b)
            for b in (
                QWizard.WizardButton.NextButton,
                QWizard.WizardButton.CommitButton,
                QWizard.WizardButton.FinishButton,
            )
        }
        offenders = [
            b.text() for b in wizard.findChildren(QPushButton) if b not in keep and b.autoDefault()
        ]
        assert not offenders, offenders
        wizard.reject()
        qtbot.waitUntil(
            lambda: window.sender_wizard is None and window.invite_wizard is None, timeout=5000
        )
