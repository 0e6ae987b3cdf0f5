"""Once a registration ended well, Back is unavailable in both wizards (and the last
page offers Finish, not a Cancel that reads as undoing the registration).

Seen in a real window (session 21's walk): in the Sender wizard, Back on a finished
Register page led to Discover with Register disabled and no reason, and no way on but
Cancel; in the Invite wizard, Back on a finished Wait page showed the spent TOKEN_A as
"valid for one registration" and Next would have waited on it again. A failed
registration still goes Back (to fix the URL or the token): tests/gui/test_keyboard_wizards.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard

from app.gui.wizard_invite import InviteWizard
from app.gui.wizard_sender import PAGE_CONFIRM, PAGE_REGISTER
from tests.gui.helpers import WAIT_MS, activate, open_sandbox_wizard, press, visible_texts

ALT = Qt.KeyboardModifier.AltModifier


def test_sender_register_page_has_no_back_once_registered(qtbot: Any, window: Any) -> None:
    wizard = open_sandbox_wizard(qtbot, window)
    activate(qtbot, wizard)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(wizard.discover_page.isComplete, timeout=WAIT_MS)
    press(Qt.Key.Key_Return)  # Register >
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_REGISTER, timeout=5000)
    qtbot.waitUntil(wizard.register_page.isComplete, timeout=WAIT_MS)
    back = wizard.button(QWizard.WizardButton.BackButton)
    assert not back.isEnabled()
    press(Qt.Key.Key_B, ALT)  # the mnemonic of a disabled Back does nothing
    assert wizard.currentId() == PAGE_REGISTER
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_CONFIRM, timeout=5000)
    # registered: Finish, and no Cancel that would read as undoing it
    assert wizard.button(QWizard.WizardButton.FinishButton).isVisible()
    assert not wizard.button(QWizard.WizardButton.CancelButton).isVisible()
    press(Qt.Key.Key_Return)  # Finish
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)
    qtbot.waitUntil(lambda: window.selected_partner() is not None, timeout=5000)


def test_invite_wait_page_has_no_back_once_registered(qtbot: Any, window: Any) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    press(Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.invite_wizard is not None, timeout=5000)
    wizard = window.invite_wizard
    assert isinstance(wizard, InviteWizard)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=5000)
    qtbot.waitUntil(wizard.issue_page.isComplete, timeout=WAIT_MS)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.currentId() == 1, timeout=5000)
    back = wizard.button(QWizard.WizardButton.BackButton)
    assert back.isEnabled()  # while waiting, Back stops waiting (the TOKEN_A is unspent)
    assert "so far" in wizard.wait_page.elapsed.text() or not wizard.wait_page.elapsed.text()
    press(Qt.Key.Key_S, ALT)  # Let the sandbox partner register
    qtbot.waitUntil(wizard.wait_page.isComplete, timeout=WAIT_MS)
    assert not back.isEnabled()
    press(Qt.Key.Key_B, ALT)
    assert wizard.currentId() == 1
    said = visible_texts(wizard.wait_page)  # the same word as the Sender wizard's
    assert any("TOKEN_A is spent" in text for text in said), said
    assert not any("is dead" in text for text in said), said
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.currentId() == 2, timeout=5000)
    assert "TOKEN_A is spent" in wizard.done_page.subTitle()
    assert wizard.button(QWizard.WizardButton.FinishButton).isVisible()
    assert not wizard.button(QWizard.WizardButton.CancelButton).isVisible()
    press(Qt.Key.Key_Return)  # Finish
    qtbot.waitUntil(lambda: window.invite_wizard is None, timeout=5000)
