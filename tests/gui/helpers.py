"""Driving the GUI from tests: wizards, buttons, waiting on flows."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
    QWizard,
)

from app.engine import RunResult
from app.vault import PartnerRecord, Vault

WAIT_MS = 20_000


def press(k: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """One key press on whatever has the focus (the active window if nothing has), as a
    person's keyboard delivers it."""
    target = QApplication.focusWidget() or QApplication.activeWindow()
    assert target is not None, "nothing has the keyboard focus"
    QTest.keyClick(target, k, modifier)
    QApplication.processEvents()


def activate(qtbot: Any, widget: QWidget) -> None:
    """Bring `widget`'s window to the front and wait until it has the keyboard."""
    widget.activateWindow()
    widget.raise_()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=5000)


def click(qtbot: Any, button: QAbstractButton | None) -> None:
    assert button is not None and button.isEnabled(), f"{button and button.text()} is not clickable"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def next_button(wizard: QWizard) -> QAbstractButton:
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    if commit is not None and commit.isVisible():
        return commit
    return wizard.button(QWizard.WizardButton.NextButton)


def go_next(qtbot: Any, wizard: QWizard) -> None:
    before = wizard.currentId()
    click(qtbot, next_button(wizard))
    qtbot.waitUntil(lambda: wizard.currentId() != before, timeout=2000)


def open_sandbox_wizard(qtbot: Any, window: Any, fault: str = "none") -> Any:
    wizard = window.open_sender_wizard(sandbox_fault=fault)
    page = wizard.receive_page
    qtbot.waitUntil(lambda: bool(page.url_edit.text()) and page.isComplete(), timeout=WAIT_MS)
    return wizard


def run_sender_wizard(qtbot: Any, window: Any, fault: str = "none") -> Any:
    """Receive -> Discover -> Register; stops on the Register page when it ends (either way)."""
    from app.gui.flows import Phase

    wizard = open_sandbox_wizard(qtbot, window, fault)
    go_next(qtbot, wizard)
    flow = wizard.sender_flow
    qtbot.waitUntil(lambda: flow.phase in (Phase.READY, Phase.FAILED), timeout=WAIT_MS)
    if flow.phase == Phase.FAILED:
        return wizard
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: flow.phase in (Phase.DONE, Phase.FAILED), timeout=WAIT_MS)
    return wizard


def register_sandbox(qtbot: Any, controller: Any, fault: str = "none") -> RunResult:
    """A registered partner without the wizard (for the partner-action tests)."""
    results: list[Any] = []

    async def work() -> RunResult:
        engine = await controller.engine()
        url, token = await engine.start_sandbox(fault=fault)
        result: RunResult = await engine.register(url, token)
        return result

    controller.run("test-register", work(), on_result=results.append, on_error=results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=WAIT_MS)
    result = results[0]
    assert isinstance(result, RunResult) and result.status == "registered", result
    return result


def select_when_listed(qtbot: Any, window: Any, partner_id: int | None) -> None:
    """Select a partner in the main list as soon as the list shows it (the list refreshes
    asynchronously after a run or a colleague's change), and check that it is selected."""
    assert partner_id is not None
    qtbot.waitUntil(lambda: window.select_partner(partner_id), timeout=WAIT_MS)
    assert window.selected_partner().id == partner_id


def visible_texts(root: QWidget) -> list[str]:
    """Every text a person can read in the widget tree (labels, line edits, text boxes)."""
    texts: list[str] = []
    for label in root.findChildren(QLabel):
        texts.append(label.text())
    for edit in root.findChildren(QLineEdit):
        texts.append(edit.text())
    for box in root.findChildren(QPlainTextEdit):
        texts.append(box.toPlainText())
    return texts


def raw_tokens(controller: Any) -> list[str]:
    values = []
    for partner in controller.partners():
        for cred in controller.credentials(partner.id):
            values.append(controller.reveal(cred.id).reveal())
    return values


def add_partners(vault: Vault, count: int, status: str = "pending") -> list[PartnerRecord]:
    """`count` plain partners (DE, party ids 000, 001, ...) in one transaction: a list to
    select from, scroll and refresh."""
    with vault.transaction():
        return [
            vault.save_partner(
                PartnerRecord(
                    id=None,
                    country_code="DE",
                    party_id=f"{i:03X}",
                    business_name=f"Company {i}",
                    roles=[{"role": "CPO"}],
                    versions_url="http://127.0.0.1:9/versions",
                    status=status,
                )
            )
            for i in range(count)
        ]


@contextlib.contextmanager
def app_style_sheet(qapp: Any) -> Iterator[None]:
    """The style sheet the app applies at start (app/gui/app.py), put back after."""
    from app.gui.theme import apply_theme

    before = qapp.styleSheet()
    apply_theme(qapp)
    try:
        yield
    finally:
        qapp.setStyleSheet(before)


def invite_to_wait_page(qtbot: Any, window: Any) -> Any:
    """Invite partner by keys (Ctrl+I), Next: the Invite wizard on its Wait page."""
    from app.gui.wizard_invite import InviteWizard

    activate(qtbot, window)
    press(Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(window.invite_wizard, InviteWizard), timeout=5000)
    wizard = window.invite_wizard
    activate(qtbot, wizard)
    qtbot.waitUntil(wizard.issue_page.isComplete, timeout=WAIT_MS)
    press(Qt.Key.Key_Return)  # Next: the Wait page
    qtbot.waitUntil(lambda: wizard.currentId() == 1, timeout=5000)
    return wizard


def invite_the_sandbox(qtbot: Any, window: Any) -> Any:
    """Invite, let the demo eMSP register (Alt+S), Finish, by keys: the new partner's row
    selected with its health banner up (its sandbox lived only for the registration)."""
    wizard = invite_to_wait_page(qtbot, window)
    press(Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)  # Let the sandbox partner register
    qtbot.waitUntil(wizard.wait_page.isComplete, timeout=WAIT_MS)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.currentId() == 2, timeout=5000)
    press(Qt.Key.Key_Return)  # Finish
    qtbot.waitUntil(lambda: window.invite_wizard is None, timeout=5000)
    qtbot.waitUntil(lambda: window.selected_partner() is not None, timeout=5000)
    qtbot.waitUntil(window.partner_view.health_banner.isVisible, timeout=5000)
    return window.selected_partner()


def verify_facts(
    run_id: str,
    count: int,
    *,
    when: str,
    detail_times: Any = lambda i: 1,
    titled: bool = False,
    changed: int | None = None,
) -> Any:
    """A partner's connection facts holding a verify report of `count` checks, the four
    statuses in turn; `detail_times(i)` repeats check i's detail (rows of several
    heights), `changed` marks one check's detail as newer."""
    from app.engine.connection_health import ConnectionFacts

    checks = []
    for i in range(count):
        check = {"id": f"check.{i}", "status": ("pass", "warn", "fail", "skip")[i % 4]}
        if titled:
            check |= {"title": f"Check {i}", "spec": "OCPI 2.2.1"}
        detail = f"Detail {i}: GET locations?limit=1 answered OCPI 1000 with a list."
        check["detail"] = detail * detail_times(i) + (" Answered again." if i == changed else "")
        check["fix"] = f"Fix {i}: ask the partner to page with the Link header." * (1 + i % 2)
        checks.append(check)
    return ConnectionFacts(
        last_verified=when,
        verify_report={"checks": checks, "summary": {"pass": count}},
        verify_run_id=run_id,
    )
