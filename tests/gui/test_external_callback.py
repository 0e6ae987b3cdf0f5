"""'Our platform serves our endpoint': the pre-flight with TOKEN_B before TOKEN_A is spent."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app.core.tokens import Secret, TokenRole, generate_token
from app.gui.flows import Phase, StepState
from app.sandbox import SandboxPartner
from app.vault import TokenState
from tests.conftest import FAST
from tests.gui.conftest import run_on
from tests.gui.helpers import WAIT_MS, go_next


@pytest.fixture
def partner(qapp: QApplication, qloop: Any) -> Iterator[SandboxPartner]:
    sandbox = SandboxPartner(Secret(generate_token(), TokenRole.A), http_settings=FAST)
    run_on(qapp, sandbox.start())
    yield sandbox
    run_on(qapp, sandbox.stop())


def _fill(qtbot: Any, window: Any, partner: SandboxPartner, own_url: str, token_b: str) -> Any:
    wizard = window.open_sender_wizard()
    page = wizard.receive_page
    qtbot.keyClicks(page.url_edit, partner.versions_url)
    page.token.setText(partner.token_a.reveal())
    page.external_radio.setChecked(True)
    assert page.external_fields.isEnabled()
    assert not page.isComplete()  # our platform's URL and TOKEN_B are needed first
    page.own_url_edit.setText(own_url)
    page.token_b.setText(token_b)
    assert page.isComplete()
    return wizard


def test_registration_with_our_platform_endpoint(
    qtbot: Any, qapp: QApplication, window: Any, partner: SandboxPartner
) -> None:
    token_b = generate_token()
    platform = SandboxPartner(Secret(token_b, TokenRole.A), http_settings=FAST)  # "our platform"
    run_on(qapp, platform.start())
    try:
        wizard = _fill(qtbot, window, partner, platform.versions_url, token_b)
        flow = wizard.sender_flow
        go_next(qtbot, wizard)
        qtbot.waitUntil(lambda: flow.phase == Phase.READY, timeout=WAIT_MS)
        assert "pre-flight" in flow.step("token_b").label
        go_next(qtbot, wizard)
        qtbot.waitUntil(lambda: flow.phase in (Phase.DONE, Phase.FAILED), timeout=WAIT_MS)
        assert flow.phase == Phase.DONE, flow.diagnosis
        assert flow.result.mutual_discovery == "unknown"
        assert flow.step("their_versions").state == StepState.SKIPPED
        go_next(qtbot, wizard)
        assert wizard.confirm_page.mutual.text().startswith("Unknown")
        assert partner.registered
    finally:
        wizard.reject()
        run_on(qapp, platform.stop())


def test_failed_preflight_keeps_token_a(
    qtbot: Any, window: Any, controller: Any, partner: SandboxPartner
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/ocpi/versions"
    wizard = _fill(qtbot, window, partner, dead, generate_token())
    flow = wizard.sender_flow
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: flow.phase == Phase.READY, timeout=WAIT_MS)
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: flow.phase == Phase.FAILED, timeout=WAIT_MS)
    assert flow.diagnosis.code == "reg.preflight_failed"
    assert wizard.register_page.error.isVisible()
    assert not partner.registered
    partner_id = controller.run_record(flow.run_id).partner_id
    token_a = [c for c in controller.credentials(partner_id) if c.role == TokenRole.A]
    assert [c.state for c in token_a] == [TokenState.PENDING]  # never spent
    wizard.reject()
