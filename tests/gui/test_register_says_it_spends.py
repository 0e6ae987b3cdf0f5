"""The Sender wizard's Discover page says that going on registers and spends TOKEN_A.

Seen in a real window (session 20's screenshots): the Discover page's button read "Next >"
and pressing it sent our credentials with TOKEN_A, which the partner then retires, with no
word about it. Now the button reads "Register >" on that page only, and the page says in
one sentence what pressing it does, before anyone presses; after a failed registration
(Back to Discover) the sentence is gone, as TOKEN_A may already be spent.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QWizard

from app.gui.flows import Phase
from app.gui.wizard_sender import PAGE_CONFIRM, PAGE_DISCOVER, PAGE_RECEIVE, PAGE_REGISTER
from tests.gui.helpers import WAIT_MS, activate, click, next_button, open_sandbox_wizard, press

ALT = Qt.KeyboardModifier.AltModifier


def test_the_discover_page_says_register_spends_token_a_before_it_is_pressed(
    qtbot: Any, window: Any
) -> None:
    wizard = open_sandbox_wizard(qtbot, window)
    activate(qtbot, wizard)
    assert wizard.currentId() == PAGE_RECEIVE
    assert next_button(wizard).text() == "&Next >"  # Receive only reads the partner
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_DISCOVER, timeout=5000)
    page = wizard.discover_page
    qtbot.waitUntil(page.isComplete, timeout=WAIT_MS)
    forward = next_button(wizard)
    assert forward.isVisible() and forward.isEnabled()
    assert forward.text() == "&Register >"
    assert forward.accessibleName() == "Register"
    assert page.spend_note.isVisible()
    said = f"{page.spend_note.title.text()} {page.spend_note.text.text()}"
    assert "sends our credentials" in said and "TOKEN_A" in said
    assert "cannot be used again" in said
    # Tab leaves the modules table (it walked its cells and never left)
    qtbot.mouseClick(page.modules.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert QApplication.focusWidget() is page.modules
    press(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not page.modules
    # nothing is spent yet: the registration has not started
    assert wizard.sender_flow.phase == Phase.READY
    # the old mnemonic no longer goes on silently; the one the button shows does
    press(Qt.Key.Key_N, ALT)
    assert wizard.currentId() == PAGE_DISCOVER and wizard.sender_flow.phase == Phase.READY
    press(Qt.Key.Key_R, ALT)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_REGISTER, timeout=5000)
    qtbot.waitUntil(wizard.register_page.isComplete, timeout=WAIT_MS)
    assert next_button(wizard).text() == "&Next >"  # the commit page reads Next again
    assert next_button(wizard).accessibleName() == "Next"
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_CONFIRM, timeout=5000)
    assert wizard.button(QWizard.WizardButton.FinishButton).isVisible()
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)


def test_after_a_failed_registration_discover_no_longer_offers_to_spend(
    qtbot: Any, window: Any
) -> None:
    wizard = open_sandbox_wizard(qtbot, window, "html-500")
    click(qtbot, next_button(wizard))
    qtbot.waitUntil(wizard.discover_page.isComplete, timeout=WAIT_MS)
    click(qtbot, next_button(wizard))  # Register >
    qtbot.waitUntil(lambda: wizard.sender_flow.phase == Phase.FAILED, timeout=WAIT_MS)
    click(qtbot, wizard.button(QWizard.WizardButton.BackButton))
    assert wizard.currentId() == PAGE_DISCOVER
    page = wizard.discover_page
    assert not page.spend_note.isVisible()
    assert page.error.isVisible()  # why Register is unavailable
    assert not next_button(wizard).isEnabled()
    click(qtbot, wizard.button(QWizard.WizardButton.CancelButton))


def test_alt_r_on_a_failed_discovery_retries_and_never_registers(qtbot: Any, window: Any) -> None:
    """Retry and Register share the R: Register is disabled while Retry shows, so Alt+R
    retries the discovery (and never starts a registration)."""
    wizard = open_sandbox_wizard(qtbot, window, "details-without-credentials")
    activate(qtbot, wizard)
    press(Qt.Key.Key_Return)
    flow = wizard.sender_flow
    qtbot.waitUntil(lambda: flow.phase == Phase.FAILED, timeout=WAIT_MS)
    page = wizard.discover_page
    assert flow.failed_stage == "discover" and page.error.isVisible() and page.retry.isVisible()
    assert not next_button(wizard).isEnabled() and not page.spend_note.isVisible()
    phases: list[Phase] = []
    flow.changed.connect(lambda: phases.append(flow.phase))
    press(Qt.Key.Key_R, ALT)
    qtbot.waitUntil(lambda: Phase.BUSY in phases and flow.phase == Phase.FAILED, timeout=WAIT_MS)
    assert wizard.currentId() == PAGE_DISCOVER and flow.failed_stage == "discover"
    click(qtbot, wizard.button(QWizard.WizardButton.CancelButton))
