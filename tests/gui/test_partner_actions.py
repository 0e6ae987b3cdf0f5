"""Actions on a registered partner: check, rotate, unregister; reveal and copy; export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication

from app.core.tokens import TokenRole
from app.gui.export_dialog import ExportDialog
from app.vault import Direction, TokenState
from tests.gui.helpers import WAIT_MS, click, raw_tokens, register_sandbox, select_when_listed


def _registered(qtbot: Any, window: Any, controller: Any) -> Any:
    result = register_sandbox(qtbot, controller)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=5000)
    select_when_listed(qtbot, window, result.partner_id)
    qtbot.waitUntil(lambda: window.selected_partner().status == "registered", timeout=5000)
    return result


def _active_c(controller: Any, partner_id: int) -> str:
    return next(
        c.fingerprint
        for c in controller.credentials(partner_id)
        if c.role == TokenRole.C
        and c.direction == Direction.OUTBOUND
        and c.state == TokenState.ACTIVE
    )


def test_check_rotate_unregister(
    qtbot: Any, window: Any, controller: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _registered(qtbot, window, controller)
    partner_id = result.partner_id
    view = window.partner_view
    assert window.check_action.isEnabled() and window.rotate_action.isEnabled()

    with qtbot.waitSignal(controller.operationFinished, timeout=WAIT_MS) as check:
        window.check_action.trigger()
    assert check.args[0] == "check" and check.args[1].ok
    assert view.banner.isVisible() and view.banner.title.text() == "Connection OK"
    assert view.dates.text().split(" · ")[1] != "never checked"

    old_c = _active_c(controller, partner_id)
    # Rotate asks first (its dialog is driven in tests/gui/test_row_actions.py)
    monkeypatch.setattr(window, "confirm_rotate", lambda partner: True)
    with qtbot.waitSignal(controller.operationFinished, timeout=WAIT_MS) as rotate:
        window.rotate_action.trigger()
    assert rotate.args[1].status == "rotated"
    new_c = _active_c(controller, partner_id)
    assert new_c != old_c and new_c == rotate.args[1].token_c_fingerprint
    assert view.banner.title.text() == "Credentials rotated" and new_c in view.banner.text.text()
    shown = [view.credentials_model.record(r) for r in range(view.credentials_model.rowCount())]
    assert shown[0].state == TokenState.ACTIVE
    assert any(c.fingerprint == old_c and c.state == TokenState.SUPERSEDED for c in shown)

    asked: list[str] = []
    monkeypatch.setattr(
        window, "confirm_unregister", lambda partner: asked.append(partner.ref) or True
    )
    with qtbot.waitSignal(controller.operationFinished, timeout=WAIT_MS) as unregister:
        window.unregister_action.trigger()
    assert asked == ["NL-SBX"] and unregister.args[1].status == "unregistered"
    partner = window.selected_partner()
    assert partner.status == "unregistered"
    assert all(
        c.state in (TokenState.REVOKED, TokenState.SUPERSEDED, TokenState.CONSUMED)
        for c in controller.credentials(partner_id)
    )
    assert not window.rotate_action.isEnabled() and not window.check_action.isEnabled()
    assert view.status_pill.text() == "Unregistered"


def test_check_failure_shows_the_diagnosis(qtbot: Any, window: Any, controller: Any) -> None:
    # the sandbox rejects the TOKEN_C it issued: registration stands (with a warning), check fails
    result = register_sandbox(qtbot, controller, fault="401-after-registration")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=5000)
    select_when_listed(qtbot, window, result.partner_id)
    qtbot.waitUntil(window.check_action.isEnabled, timeout=5000)
    with qtbot.waitSignal(controller.operationFailed, timeout=WAIT_MS) as failed:
        window.check_action.trigger()
    kind, diagnosis = failed.args
    assert kind == "check" and diagnosis.code
    assert window.partner_view.banner.isVisible()
    assert window.partner_view.banner.title.text() in ("Check failed", "Token mix-up")
    assert diagnosis.message in window.partner_view.banner.text.text()


def test_reveal_and_copy_with_clipboard_clearing(qtbot: Any, window: Any, controller: Any) -> None:
    result = _registered(qtbot, window, controller)
    view = window.partner_view
    window.clipboard.clear_after_ms = 300
    assert not view.reveal_button.isEnabled() and not view.revealed.isVisible()
    view.credentials.selectRow(0)  # active first: our TOKEN_C towards the partner
    cred = view.selected_credential()
    assert cred.state == TokenState.ACTIVE
    value = controller.reveal(cred.id).reveal()
    assert value not in "\n".join(
        view.credentials_model.index(r, c).data()
        for r in range(view.credentials_model.rowCount())
        for c in range(view.credentials_model.columnCount())
    )

    click(qtbot, view.reveal_button)
    assert view.revealed.isVisible() and view.revealed.text() == value
    click(qtbot, view.reveal_button)
    assert not view.revealed.isVisible() and view.revealed.text() == ""

    clipboard = QGuiApplication.clipboard()
    with qtbot.waitSignal(window.clipboard.cleared, timeout=3000):
        click(qtbot, view.copy_button)
        assert clipboard.text() == value
        assert cred.fingerprint in view.note.text()
    assert clipboard.text() == ""
    assert view.note.text() == "The clipboard was cleared."

    # cleared only if the clipboard still holds our value
    with qtbot.waitSignal(window.clipboard.cleared, timeout=3000):
        click(qtbot, view.copy_button)
        clipboard.setText("something the user copied since")
    assert clipboard.text() == "something the user copied since"
    assert result.partner_id is not None


@pytest.mark.parametrize("fmt", ["har", "html", "md", "json"])
def test_export_is_redacted(
    qtbot: Any, window: Any, controller: Any, tmp_path: Path, fmt: str
) -> None:
    result = _registered(qtbot, window, controller)
    dialog = ExportDialog(controller, result.run_id, result.partner_id, tmp_path, window)
    qtbot.addWidget(dialog)
    assert dialog.run_id() == result.run_id
    dialog.set_format(fmt)
    target = tmp_path / f"out.{fmt}"
    dialog.path_edit.setText(str(target))
    with qtbot.waitSignal(dialog.exported, timeout=2000):
        click(qtbot, dialog.export_button)
    text = target.read_text("utf-8")
    assert result.run_id in text
    assert "C·" in text and "B·" in text
    for value in raw_tokens(controller):
        assert value not in text
    if fmt in ("har", "json"):
        json.loads(text)


def test_export_from_the_log_pane(qtbot: Any, window: Any, controller: Any) -> None:
    result = _registered(qtbot, window, controller)
    assert window.log_pane.model.run_id == result.run_id
    window.log_pane.export_button.click()
    qtbot.waitUntil(lambda: window.findChild(ExportDialog) is not None, timeout=2000)
    dialog = window.findChild(ExportDialog)
    assert dialog.run_id() == result.run_id
    dialog.reject()
