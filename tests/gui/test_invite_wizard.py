"""The Receiver (invite) wizard end to end: a demo partner registers with our invitation."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWizard

from app.core.tokens import TokenRole
from app.gui.flows import Phase, StepState
from app.gui.wizard_invite import MASK
from app.vault import Direction, TokenState
from tests.gui.helpers import WAIT_MS, click, go_next, select_when_listed


def test_invite_with_the_demo_partner(qtbot: Any, window: Any, controller: Any) -> None:
    wizard = window.open_invite_wizard()
    issue = wizard.issue_page
    qtbot.waitUntil(issue.isComplete, timeout=WAIT_MS)
    invitation = wizard.invite_flow.invitation
    token = invitation.token_a.reveal()
    assert issue.token_edit.text() == MASK
    assert issue.url.edit.text() == invitation.versions_url
    assert invitation.token_a.fingerprint in issue.fingerprint.text()
    assert issue.reach.isVisible()  # loopback: a warning that real partners cannot reach it

    click(qtbot, issue.reveal)
    assert issue.token_edit.text() == token
    click(qtbot, issue.reveal)
    assert issue.token_edit.text() == MASK
    click(qtbot, issue.copy)
    assert QGuiApplication.clipboard().text() == token
    assert "cleared in 30 s" in issue.copied.text()

    go_next(qtbot, wizard)
    wait = wizard.wait_page
    flow = wizard.invite_flow
    assert flow.phase == Phase.RUNNING
    assert not wait.isComplete()
    click(qtbot, wait.demo_button)
    qtbot.waitUntil(wait.isComplete, timeout=WAIT_MS)
    for key in ("their_read", "their_post", "fetch_versions", "fetch_details", "token_c"):
        assert flow.step(key).state == StepState.DONE, (key, flow.step(key))
    assert "B·" in flow.step("fetch_versions").detail
    assert flow.step("token_c").detail.startswith("C·")

    go_next(qtbot, wizard)
    done = wizard.done_page
    assert done.partner_title.text() == "DE-DMO"
    assert done.token_c.text().startswith("C·")
    assert done.token_b.text().startswith("B·")
    assert invitation.token_a.fingerprint in done.token_a.text()
    # the demo eMSP is gone once it registered: the last page says so, never a plain green
    assert done.status.text() == "Registered · sandbox not running"
    assert done.status.property("status") != "registered"
    assert done.warnings.isVisible() and "only for its own registration" in (
        done.warnings.text.text()
    )
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: window.selected_partner() is not None, timeout=5000)
    partner = window.selected_partner()
    assert (
        partner.ref == "DE-DMO"
        and partner.our_role == "receiver"
        and partner.status == "registered"
    )
    states = {(c.role, c.direction): c.state for c in controller.credentials(partner.id)}
    assert states[(TokenRole.A, Direction.INBOUND)] == TokenState.CONSUMED
    assert states[(TokenRole.C, Direction.INBOUND)] == TokenState.ACTIVE
    assert states[(TokenRole.B, Direction.OUTBOUND)] == TokenState.ACTIVE
    window.clipboard.clear_now()
    assert QGuiApplication.clipboard().text() == ""
    # the demo partner lived only for that registration: marked, and offline honestly
    view = window.partner_view
    assert view.sandbox_pill.isVisible()
    assert view.health is not None and view.health.codes() == ["sandbox.not_running"]
    assert view.status_pill.text() == "Registered · sandbox not running"
    # said truly while this app still runs (it read "it lived inside the app session that
    # started it", seen in a real window with the app very much running)
    said = view.health_banner.text.text()
    assert "only for its own registration" in said and "app session" not in said


def test_cancelling_an_unanswered_invitation_revokes_token_a(
    qtbot: Any, window: Any, controller: Any
) -> None:
    wizard = window.open_invite_wizard()
    qtbot.waitUntil(wizard.issue_page.isComplete, timeout=WAIT_MS)
    go_next(qtbot, wizard)
    invitation = wizard.invite_flow.invitation
    assert controller.busy("invite")
    click(qtbot, wizard.button(QWizard.WizardButton.CancelButton))
    qtbot.waitUntil(
        lambda: controller.run_record(invitation.run_id).outcome != "running", timeout=5000
    )
    assert controller.run_record(invitation.run_id).outcome == "cancelled"
    states = [
        c.state for c in controller.credentials(invitation.partner_id) if c.role == TokenRole.A
    ]
    assert states == [TokenState.REVOKED]
    qtbot.waitUntil(lambda: not controller.busy("invite"), timeout=5000)


def test_log_pane_stays_on_the_live_run(qtbot: Any, window: Any, controller: Any) -> None:
    """Rows inserted and updated by a run must not pull the log pane to another partner."""
    from tests.gui.helpers import register_sandbox

    first = register_sandbox(qtbot, controller)
    select_when_listed(qtbot, window, first.partner_id)
    assert window.log_pane.model.run_id == first.run_id
    wizard = window.open_invite_wizard()
    qtbot.waitUntil(wizard.issue_page.isComplete, timeout=WAIT_MS)
    run_id = wizard.invite_flow.invitation.run_id
    go_next(qtbot, wizard)
    click(qtbot, wizard.wait_page.demo_button)
    qtbot.waitUntil(wizard.wait_page.isComplete, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT_MS)  # deferred refresh
    assert window.selected_partner().id == first.partner_id
    assert window.log_pane.model.run_id == run_id
    wizard.reject()
