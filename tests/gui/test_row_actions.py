"""Honest rows after the wizard, used as a person does (menus, buttons, dialogs answered).

Retry / Resume / Forget on rows that did not end well, a closed wizard never leaves a run
"running", a spent TOKEN_A is shown as spent, Rotate and re-onboarding ask first, and a
sandbox partner goes offline honestly when its sandbox is gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWizard

from app.gui.flows import Phase
from app.gui.models import PartnersTableModel
from app.gui.wizard_sender import PAGE_DISCOVER, PAGE_RECEIVE, PAGE_REGISTER
from app.vault import TokenState
from tests.gui.conftest import run_on
from tests.gui.helpers import WAIT_MS, click, go_next
from tests.gui.test_fault_matrix import click_row, sandbox_action, walk_wizard


def answer_box(qtbot: Any, button: str, seen: list[str]) -> None:
    """Answer the next message box by clicking `button` (its text, without '&')."""
    tries = [0]

    def poll() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(f"{box.windowTitle()}\n{box.text()}\n{box.informativeText()}")
            for candidate in box.buttons():
                if candidate.text().replace("&", "") == button:
                    qtbot.mouseClick(candidate, Qt.MouseButton.LeftButton)
                    return
            raise AssertionError(f"no button {button!r} in {[b.text() for b in box.buttons()]}")
        tries[0] += 1
        if tries[0] < 500:
            QTimer.singleShot(10, poll)

    QTimer.singleShot(0, poll)


def status_of(window: Any, partner_id: int) -> str:
    row = window.model.row_of(partner_id)
    return str(window.model.index(row, PartnersTableModel.COL_STATUS).data())


def test_cancelled_wizard_ends_its_run_and_retry_fills_in_the_unspent_token(
    qtbot: Any, window: Any, controller: Any
) -> None:
    sandbox_action(window, "none").trigger()
    wizard = window.sender_wizard
    page = wizard.receive_page
    qtbot.waitUntil(lambda: page.isComplete(), timeout=WAIT_MS)
    token = page.token.text()
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.sender_flow.phase == Phase.READY, timeout=WAIT_MS)
    run_id = wizard.sender_flow.run_id
    pending = controller.run_record(run_id).partner_id
    qtbot.waitUntil(lambda: window.model.row_of(pending) >= 0, timeout=5000)
    window.reload_partners()
    assert status_of(window, pending) == "Pending · in progress"  # the wizard is on it
    click(qtbot, wizard.button(QWizard.WizardButton.CancelButton))
    run = controller.run_record(run_id)
    assert run.outcome == "cancelled"  # at once, not "running" until some task gets to it
    partner_id = run.partner_id
    qtbot.waitUntil(lambda: window.model.row_of(partner_id) >= 0, timeout=5000)
    qtbot.waitUntil(lambda: status_of(window, partner_id) == "Pending · cancelled", timeout=5000)

    click_row(qtbot, window, partner_id)
    view = window.partner_view
    assert view.health_banner.isVisible() and "cancelled" in view.health_banner.text.text()
    assert window.retry_action.isEnabled() and window.forget_action.isEnabled()
    assert not window.resume_action.isEnabled()
    assert view.retry_button.isVisible() and not view.resume_button.isVisible()

    click(qtbot, view.retry_button)
    retry = window.sender_wizard
    assert retry is not None and retry is not wizard
    assert retry.receive_page.url_edit.text() == run.data["versions_url"]
    assert retry.receive_page.token.text() == token  # unspent: filled in
    assert "retry" in [e.action for e in controller.audit_events(partner_id=partner_id)]
    go_next(qtbot, retry)
    flow = retry.sender_flow
    qtbot.waitUntil(lambda: flow.phase == Phase.READY, timeout=WAIT_MS)
    go_next(qtbot, retry)
    qtbot.waitUntil(lambda: flow.phase == Phase.DONE, timeout=WAIT_MS)
    assert flow.result.partner_id == partner_id  # the same row, now registered
    go_next(qtbot, retry)
    click(qtbot, retry.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: status_of(window, partner_id) == "Registered", timeout=5000)


def test_spent_token_a_is_shown_spent_on_back_and_retry_does_not_offer_it(
    qtbot: Any, window: Any, controller: Any
) -> None:
    wizard = walk_wizard(qtbot, window, "ocpi-2001")
    flow = wizard.sender_flow
    assert flow.phase == Phase.FAILED and wizard.currentId() == PAGE_REGISTER
    spent = flow.token_a.fingerprint
    click(qtbot, wizard.button(QWizard.WizardButton.BackButton))
    assert wizard.currentId() == PAGE_DISCOVER
    click(qtbot, wizard.button(QWizard.WizardButton.BackButton))
    assert wizard.currentId() == PAGE_RECEIVE
    page = wizard.receive_page
    assert any(spent in text and "spent" in text for text in page.token_hints.texts())
    assert not page.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    partner_id = flow._reg.partner_id if flow._reg is not None else None
    if partner_id is None:
        partner_id = controller.run_record(flow.run_id).partner_id
    click(qtbot, wizard.button(QWizard.WizardButton.CancelButton))

    qtbot.waitUntil(lambda: window.model.row_of(partner_id) >= 0, timeout=5000)
    click_row(qtbot, window, partner_id)
    assert window.retry_action.isEnabled()
    window.retry_action.trigger()
    retry = window.sender_wizard
    assert retry.receive_page.token.text() == ""
    assert spent in retry.receive_page.sandbox_banner.text.text()


def test_closing_an_invitation_ends_it_and_forget_retires_what_is_left(
    qtbot: Any, window: Any, controller: Any
) -> None:
    window.invite_action.trigger()
    wizard = window.invite_wizard
    qtbot.waitUntil(wizard.issue_page.isComplete, timeout=WAIT_MS)
    invitation = wizard.invite_flow.invitation
    wizard.close()  # the window's close button
    run = controller.run_record(invitation.run_id)
    assert run.outcome == "cancelled"
    partner_id = invitation.partner_id
    qtbot.waitUntil(lambda: status_of(window, partner_id).startswith("Failed"), timeout=5000)
    assert "waiting" not in str(window.model.index(window.model.row_of(partner_id), 2).data())

    # a registration that failed after its POST still holds its TOKEN_A: Forget it
    failed = walk_wizard(qtbot, window, "html-500")
    failed_id = controller.run_record(failed.sender_flow.run_id).partner_id
    click(qtbot, failed.button(QWizard.WizardButton.CancelButton))
    qtbot.waitUntil(lambda: window.model.row_of(failed_id) >= 0, timeout=5000)
    click_row(qtbot, window, failed_id)
    held = [c for c in controller.credentials(failed_id) if c.state in ("pending", "active")]
    assert held and window.forget_action.isEnabled()
    seen: list[str] = []
    answer_box(qtbot, "Cancel", seen)
    click(qtbot, window.partner_view.forget_button)
    assert seen and all(c.fingerprint in seen[0] for c in held)
    assert [c for c in controller.credentials(failed_id) if c.state in ("pending", "active")]
    answer_box(qtbot, "Yes", seen)
    window.forget_action.trigger()
    assert not [c for c in controller.credentials(failed_id) if c.state in ("pending", "active")]
    assert "forget" in [e.action for e in controller.audit_events(partner_id=failed_id)]

    # a forgotten row is history: not among the current partners, still findable
    def shown() -> bool:
        row = window.model.row_of(failed_id)
        return bool(window.proxy.mapFromSource(window.model.index(row, 0)).isValid())

    qtbot.waitUntil(lambda: not shown(), timeout=5000)
    window.status_filter.setCurrentIndex(window.status_filter.findData("*"))
    assert shown()
    assert status_of(window, failed_id) == "Failed · forgotten"
    click_row(qtbot, window, failed_id)
    assert window.partner_view.runs()[0].state == "forgotten"
    assert not window.forget_action.isEnabled()  # nothing left to forget


def test_rotate_asks_first(qtbot: Any, window: Any, controller: Any) -> None:
    wizard = walk_wizard(qtbot, window, "none")
    partner_id = wizard.sender_flow.result.partner_id
    go_next(qtbot, wizard)
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    click_row(qtbot, window, partner_id)
    qtbot.waitUntil(window.rotate_action.isEnabled, timeout=5000)
    seen: list[str] = []
    answer_box(qtbot, "Cancel", seen)
    window.rotate_action.trigger()
    assert seen and "Rotate" in seen[0]
    assert not any(r.kind == "rotate" for r in controller.runs(partner_id))
    answer_box(qtbot, "Yes", seen)
    with qtbot.waitSignal(controller.operationFinished, timeout=WAIT_MS):
        window.rotate_action.trigger()
    assert any(r.kind == "rotate" and r.outcome == "succeeded" for r in controller.runs(partner_id))


def test_onboarding_a_live_partner_again_asks_before_token_a_is_spent(
    qtbot: Any, window: Any, controller: Any
) -> None:
    first = walk_wizard(qtbot, window, "none")
    partner_id = first.sender_flow.result.partner_id
    go_next(qtbot, first)
    click(qtbot, first.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: window.sender_wizard is None or not first.isVisible(), timeout=5000)

    sandbox_action(window, "none").trigger()
    again = window.sender_wizard
    qtbot.waitUntil(again.receive_page.isComplete, timeout=WAIT_MS)
    go_next(qtbot, again)
    flow = again.sender_flow
    qtbot.waitUntil(lambda: flow.phase == Phase.READY, timeout=WAIT_MS)
    seen: list[str] = []
    answer_box(qtbot, "Cancel", seen)
    click(qtbot, again.button(QWizard.WizardButton.NextButton))
    assert seen and "NL-SBX" in seen[0] and "Replaced" in seen[0]
    assert "registered and working" in seen[0]  # its health is ok: said so
    assert again.currentId() == PAGE_DISCOVER  # nothing sent: TOKEN_A still unspent
    token_a = flow.token_a
    assert token_a is not None
    states = [c.state for c in controller.credentials(flow._reg.partner_id)]
    assert states == [TokenState.PENDING]
    assert window.model.record(window.model.row_of(partner_id)).status == "registered"
    answer_box(qtbot, "Register again", seen)
    click(qtbot, again.button(QWizard.WizardButton.NextButton))
    qtbot.waitUntil(lambda: flow.phase == Phase.DONE, timeout=WAIT_MS)
    assert controller.partner(partner_id).status == "replaced"


def test_replacing_a_registration_that_does_not_work_never_calls_it_working(
    qtbot: Any, window: Any, controller: Any
) -> None:
    """Seen in a real window: "NL-SBX is already registered and working" over a list that
    showed that row failing. Its health now decides the words."""
    first = walk_wizard(qtbot, window, "401-after-registration")
    partner_id = first.sender_flow.result.partner_id
    go_next(qtbot, first)
    click(qtbot, first.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: window.sender_wizard is None or not first.isVisible(), timeout=5000)
    assert not controller.partner_health(controller.partner(partner_id)).ok

    sandbox_action(window, "none").trigger()
    again = window.sender_wizard
    qtbot.waitUntil(again.receive_page.isComplete, timeout=WAIT_MS)
    go_next(qtbot, again)
    qtbot.waitUntil(lambda: again.sender_flow.phase == Phase.READY, timeout=WAIT_MS)
    seen: list[str] = []
    answer_box(qtbot, "Cancel", seen)
    click(qtbot, again.button(QWizard.WizardButton.NextButton))
    assert seen and seen[0].startswith("Replace the registration?\n"), seen
    assert "working" not in seen[0].split("\n")[1] and "TOKEN_C refused" in seen[0], seen
    # the list's words, quoted as such: "is already registered, but drift" read as a slip
    assert "NL-SBX is already registered; the list says “TOKEN_C refused”." in seen[0], seen
    assert again.currentId() == PAGE_DISCOVER
    click(qtbot, again.button(QWizard.WizardButton.CancelButton))


def test_sandbox_partner_goes_offline_when_its_sandbox_is_gone(
    qtbot: Any, qapp: Any, window: Any, controller: Any, clipboard: Any, tmp_path: Path
) -> None:
    wizard = walk_wizard(qtbot, window, "none")
    partner_id = wizard.sender_flow.result.partner_id
    go_next(qtbot, wizard)
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: status_of(window, partner_id) == "Registered", timeout=5000)
    # the app restarts: a new controller and window over the same vault, no sandbox
    from app.gui.controller import Controller
    from app.gui.main_window import MainWindow, window_state

    run_on(qapp, controller.aclose(), 20.0)
    window.close()
    fresh = Controller(
        controller.vault, controller.settings, settings_path=controller.settings_path
    )
    win = MainWindow(
        fresh, clipboard=clipboard, state=window_state(tmp_path / "w2.ini"), export_dir=tmp_path
    )
    qtbot.addWidget(win)
    win.show()
    try:
        assert status_of(win, partner_id) == "Registered · sandbox not running"
        assert "[sandbox]" in str(win.model.index(win.model.row_of(partner_id), 2).data())
        click_row(qtbot, win, partner_id)
        view = win.partner_view
        assert view.sandbox_pill.isVisible() and view.health_banner.isVisible()
        assert "not running" in view.health_banner.text.text()
        qtbot.waitUntil(win.check_action.isEnabled, timeout=5000)
        with qtbot.waitSignal(fresh.operationFailed, timeout=WAIT_MS) as failed:
            win.check_action.trigger()
        assert failed.args[1].code == "sandbox.not_running"
        assert "sandbox" in view.banner.text.text().lower()
        assert "down" not in view.banner.text.text().lower()
    finally:
        run_on(qapp, fresh.aclose(), 20.0)
        win.close()


def test_a_run_left_running_by_a_killed_app_offers_resume(
    qtbot: Any, window: Any, controller: Any
) -> None:
    """A discovery whose process died (no wizard owns it): Resume finishes the registration."""
    left: list[Any] = []

    async def crashed() -> None:
        engine = await controller.engine()
        url, token_a = await engine.start_sandbox()
        reg = engine.registration(url, token_a)
        await reg.discover()
        left.append(reg)  # never registered, never cleaned up: as after a kill

    controller.run("test-crash", crashed(), on_result=lambda _r: None)
    qtbot.waitUntil(lambda: bool(left), timeout=WAIT_MS)
    reg = left[0]
    assert controller.run_record(reg.run_id).outcome == "running"
    window.reload_partners()
    qtbot.waitUntil(
        lambda: status_of(window, reg.partner_id) == "Pending · unfinished", timeout=5000
    )
    click_row(qtbot, window, reg.partner_id)
    assert window.resume_action.isEnabled() and window.partner_view.resume_button.isVisible()
    assert not window.retry_action.isEnabled()  # a running run is resumed, not retried
    with qtbot.waitSignal(controller.operationFinished, timeout=WAIT_MS) as done:
        click(qtbot, window.partner_view.resume_button)
    assert done.args[0] == "resume" and done.args[1].status == "registered"
    assert controller.run_record(reg.run_id).outcome == "cancelled"  # superseded by the new run
    qtbot.waitUntil(lambda: status_of(window, reg.partner_id) == "Registered", timeout=5000)
    assert not window.resume_action.isEnabled()
    controller.run("test-close", reg.aclose())  # the abandoned registration's HTTP client
