"""The Sender wizard end to end against the sandbox partner on loopback, and its Cancel."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit, QWizard

from app.core.tokens import TokenRole
from app.gui.flows import Phase, StepState
from app.gui.wizard_sender import PAGE_CONFIRM, PAGE_DISCOVER, PAGE_RECEIVE, PAGE_REGISTER
from app.vault import Direction, TokenState
from tests.gui.helpers import (
    WAIT_MS,
    click,
    go_next,
    open_sandbox_wizard,
    raw_tokens,
    visible_texts,
)


def test_onboarding_with_the_sandbox_partner(qtbot: Any, window: Any, controller: Any) -> None:
    wizard = open_sandbox_wizard(qtbot, window)
    receive = wizard.receive_page
    assert wizard.currentId() == PAGE_RECEIVE
    assert receive.token.edit.echoMode() == QLineEdit.EchoMode.Password
    assert "DE-ONB" in receive.identity_label.text()
    assert wizard.indicator.current() == 0

    go_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_DISCOVER
    discover = wizard.discover_page
    qtbot.waitUntil(discover.isComplete, timeout=WAIT_MS)
    assert "2.3.0" in discover.versions_label.text()
    assert discover.modules.rowCount() >= 1
    assert wizard.indicator.current() == 1

    go_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_REGISTER
    register = wizard.register_page
    qtbot.waitUntil(register.isComplete, timeout=WAIT_MS)
    flow = wizard.sender_flow
    for key in ("token_b", "post", "their_versions", "their_details", "token_c", "verify"):
        assert flow.step(key).state == StepState.DONE, (key, flow.step(key))
    assert flow.step("their_versions").detail.startswith("with B·")
    assert flow.step("their_details").detail.startswith("with B·")
    assert flow.step("token_b").detail.startswith("B·")
    assert flow.step("token_c").detail.startswith("C·")

    go_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_CONFIRM
    confirm = wizard.confirm_page
    assert confirm.partner_title.text() == "NL-SBX"
    assert confirm.token_c.text().startswith("C·")
    assert confirm.mutual.text().startswith("✓ Complete")
    assert confirm.verified.text().startswith("✓")
    back = wizard.button(QWizard.WizardButton.BackButton)
    assert back is None or not back.isEnabled() or not back.isVisible()

    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: window.selected_partner() is not None, timeout=5000)
    partner = window.selected_partner()
    assert partner.ref == "NL-SBX" and partner.status == "registered"
    creds = {(c.role, c.direction): c.state for c in controller.credentials(partner.id)}
    assert creds[(TokenRole.A, Direction.OUTBOUND)] == TokenState.CONSUMED
    assert creds[(TokenRole.B, Direction.INBOUND)] == TokenState.ACTIVE
    assert creds[(TokenRole.C, Direction.OUTBOUND)] == TokenState.ACTIVE
    assert window.stack.currentIndex() == 1
    # the log pane followed the run; nowhere a raw token, fingerprints only
    assert window.log_pane.model.rowCount() > 5
    texts = "\n".join(visible_texts(window))
    texts += "\n".join(
        str(window.log_pane.model.index(r, 2).data())
        for r in range(window.log_pane.model.rowCount())
    )
    for value in raw_tokens(controller):
        assert value not in texts


def test_back_keeps_the_discovery_and_cancel_cleans_up(
    qtbot: Any, window: Any, controller: Any
) -> None:
    wizard = open_sandbox_wizard(qtbot, window)
    go_next(qtbot, wizard)
    qtbot.waitUntil(wizard.discover_page.isComplete, timeout=WAIT_MS)
    click(qtbot, wizard.button(QWizard.WizardButton.BackButton))
    assert wizard.currentId() == PAGE_RECEIVE
    go_next(qtbot, wizard)
    assert wizard.sender_flow.phase == Phase.READY  # same input: not fetched again
    run_id = wizard.sender_flow.run_id
    assert run_id is not None
    click(qtbot, wizard.button(QWizard.WizardButton.CancelButton))
    qtbot.waitUntil(lambda: controller.run_record(run_id).outcome != "running", timeout=WAIT_MS)
    run = controller.run_record(run_id)
    assert run.outcome == "cancelled"
    partner_id = run.partner_id
    states = {c.role: c.state for c in controller.credentials(partner_id)}
    assert states[TokenRole.A] == TokenState.PENDING  # TOKEN_A unspent, usable again
    assert TokenRole.C not in states


def test_cancel_during_discovery_stops_the_network_work(
    qtbot: Any, window: Any, controller: Any
) -> None:
    wizard = open_sandbox_wizard(qtbot, window, fault="slow")
    go_next(qtbot, wizard)
    flow = wizard.sender_flow
    qtbot.waitUntil(lambda: flow.run_id is not None, timeout=WAIT_MS)
    assert flow.phase == Phase.BUSY and controller.busy("sender")
    run_id = flow.run_id
    click(qtbot, wizard.button(QWizard.WizardButton.CancelButton))
    qtbot.waitUntil(lambda: not controller.busy("sender"), timeout=5000)
    qtbot.waitUntil(lambda: controller.run_record(run_id).outcome != "running", timeout=5000)
    assert controller.run_record(run_id).outcome == "cancelled"
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=2000)


@pytest.mark.parametrize(
    ("field", "text", "expected", "complete"),
    [
        ("url", "https://partner.example.com/ocpi/2.2.1", "version-details URL", True),
        ("url", "http://partner.example.com/ocpi/versions", "plain http://", False),
        ("url", "partner.example.com/ocpi/versions", "not a valid absolute URL", False),
        ("token", "Token 0123456789abcdef", "starts with 'Token'", False),
        ("token", "Bearer 0123456789abcdef", "starts with 'Bearer'", False),
        ("token", "0123456789 abcdef", "spaces or line breaks", False),
        ("token", "0123456789abcdef", "looks like a token", True),
    ],
)
def test_receive_page_hints_as_you_type(
    qtbot: Any, window: Any, field: str, text: str, expected: str, complete: bool
) -> None:
    wizard = window.open_sender_wizard()
    page = wizard.receive_page
    url = "https://partner.example.com/ocpi/versions"
    token = "0123456789abcdef"
    if field == "url":
        qtbot.keyClicks(page.token.edit, token)
        qtbot.keyClicks(page.url_edit, text)
        hints = page.url_hints.texts()
    else:
        qtbot.keyClicks(page.url_edit, url)
        qtbot.keyClicks(page.token.edit, text)
        hints = page.token_hints.texts()
    assert any(expected in hint for hint in hints), hints
    assert page.isComplete() is complete
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled() is complete
    wizard.reject()


def test_cancel_during_the_post_keeps_every_token(qtbot: Any, window: Any, controller: Any) -> None:
    """Cancelled while the partner holds our POST: outcome unknown, nothing thrown away."""
    wizard = open_sandbox_wizard(qtbot, window, fault="slow")
    flow = wizard.sender_flow
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: flow.phase == Phase.READY, timeout=WAIT_MS)
    engine = controller.engine_or_none
    assert engine is not None
    partner = engine.sandbox_at(wizard.receive_page.url_edit.text())
    assert partner is not None and "credentials" not in partner.held  # discovery reads only
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: flow.step("post").state == StepState.RUNNING, timeout=WAIT_MS)
    # the step is announced a loop turn before the POST leaves (the registration yields to
    # the UI between them): cancelled once the partner has received it and holds it (2 s)
    qtbot.waitUntil(lambda: "credentials" in partner.held, timeout=WAIT_MS)
    run_id = flow.run_id
    click(qtbot, wizard.button(QWizard.WizardButton.CancelButton))
    qtbot.waitUntil(lambda: controller.run_record(run_id).outcome != "running", timeout=5000)
    run = controller.run_record(run_id)
    assert run.outcome == "interrupted"
    states = {c.role: c.state for c in controller.credentials(run.partner_id)}
    assert states[TokenRole.A] == TokenState.PENDING
    assert states[TokenRole.B] == TokenState.PENDING
    qtbot.waitUntil(lambda: not controller.busy("sender"), timeout=5000)
