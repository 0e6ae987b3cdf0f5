"""Every sandbox fault through the real Sender wizard, then what each view says about it.

A person picks Sandbox ▸ Rehearse a fault ▸ <fault>, clicks Next until the wizard ends
(Finish, or Cancel after a failure), clicks the partner's row, and reads the list and the
detail view; then `peers show --json` (the real CLI in a subprocess, against the same
vault file) must tell the same story. The two traps (TOKEN_C refused, mutual discovery
incomplete) are never a plain green "Registered" anywhere.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWizard

from app.gui.flows import Phase
from app.gui.models import PartnersTableModel
from app.gui.wizard_sender import PAGE_CONFIRM
from app.sandbox import Fault
from tests.conftest import TEST_PASSPHRASE
from tests.gui.conftest import run_on
from tests.gui.helpers import WAIT_MS, click, go_next

ROOT = Path(__file__).resolve().parents[2]

# fault -> (status shown in the list, health level, first finding code or None)
MATRIX: dict[str, tuple[str, str, str | None]] = {
    "none": ("Registered", "ok", None),
    "plain-token": ("Registered", "ok", None),
    "base64-token": ("Registered", "ok", None),
    "401-after-registration": ("Registered · TOKEN_C refused", "failing", "token.c_rejected"),
    "token-c-equals-b": ("Failed", "failing", "token.c_equals_b"),
    "no-callback": ("Registered · discovery incomplete", "warning", "reg.discovery_incomplete"),
    "slow": ("Registered", "ok", None),
    "html-500": ("Failed", "failing", "ocpi.html_page"),
    "malformed-json": ("Failed", "failing", "ocpi.not_json"),
    "ocpi-2001": ("Failed", "failing", "ocpi.invalid_params"),
    "already-registered": ("Failed", "failing", "reg.already_registered"),
    "callback-with-token-a": ("Failed", "failing", "ocpi.callback_failed_3001"),
    "details-without-credentials": ("Failed", "failing", "ocpi.no_credentials_endpoint"),
    # faults after the handshake (verify and check rehearse them): registration stands
    "no-request-id-echo": ("Registered", "ok", None),
    "missing-module": ("Registered", "ok", None),
    "open-endpoint": ("Registered", "ok", None),
    "lying-pagination": ("Registered", "ok", None),
    "wrong-role": ("Registered", "ok", None),
    "drift-endpoint": ("Registered", "ok", None),
    "drift-module": ("Registered", "ok", None),
    "drift-version": ("Registered", "ok", None),
}


def test_the_matrix_covers_every_fault() -> None:
    assert set(MATRIX) == {f.value for f in Fault}


def sandbox_action(window: Any, fault: str) -> QAction:
    """The menu entry a person picks: Sandbox ▸ Onboard…, or Sandbox ▸ Rehearse a fault ▸ X."""
    if fault == "none":
        action: QAction = window.sandbox_action
        return action
    menus = [a.menu() for a in window.menuBar().actions() if isinstance(a.menu(), QMenu)]
    sandbox = next(m for m in menus if m.title().replace("&", "") == "Sandbox")
    for entry in sandbox.actions():
        sub = entry.menu()
        if isinstance(sub, QMenu) and sub.title().replace("&", "") == "Rehearse a fault":
            for action in sub.actions():
                if action.text() == fault:
                    return action
    raise AssertionError(f"no menu entry for {fault}")


def walk_wizard(qtbot: Any, window: Any, fault: str) -> Any:
    """Open through the menu and click Next until the wizard ends; returns the wizard."""
    sandbox_action(window, fault).trigger()
    wizard = window.sender_wizard
    assert wizard is not None
    receive = wizard.receive_page
    qtbot.waitUntil(lambda: bool(receive.url_edit.text()) and receive.isComplete(), timeout=WAIT_MS)
    go_next(qtbot, wizard)
    flow = wizard.sender_flow
    qtbot.waitUntil(lambda: flow.phase in (Phase.READY, Phase.FAILED), timeout=WAIT_MS)
    if flow.phase == Phase.READY:
        go_next(qtbot, wizard)
        qtbot.waitUntil(lambda: flow.phase in (Phase.DONE, Phase.FAILED), timeout=WAIT_MS)
    return wizard


def click_row(qtbot: Any, window: Any, partner_id: int) -> None:
    source = window.model.index(window.model.row_of(partner_id), 0)
    index = window.proxy.mapFromSource(source)
    assert index.isValid(), "the partner's row is filtered out"
    window.table.scrollTo(index)
    rect = window.table.visualRect(index)
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.partner_view.partner is not None, timeout=5000)
    assert window.partner_view.partner.id == partner_id


def peers_show(vault_path: Path, peer: str, home: Path) -> dict[str, Any]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "OCPI_ONBOARD_PASSPHRASE": TEST_PASSPHRASE,
    }
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "peers",
            "show",
            peer,
            "--json",
            "--vault",
            str(vault_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


@pytest.mark.parametrize("fault", list(MATRIX))
def test_fault_through_the_wizard_then_list_detail_and_cli(
    qtbot: Any, qapp: Any, window: Any, controller: Any, vault: Any, tmp_path: Path, fault: str
) -> None:
    status, level, code = MATRIX[fault]
    wizard = walk_wizard(qtbot, window, fault)
    flow = wizard.sender_flow
    registered = status.startswith("Registered")
    if registered:
        assert flow.phase == Phase.DONE, flow.diagnosis
        go_next(qtbot, wizard)
        assert wizard.currentId() == PAGE_CONFIRM
        confirm = wizard.confirm_page
        assert confirm.status.text() == status
        if level == "ok":
            assert confirm.status.property("status") == "registered"
        else:  # the wizard's last page is not green and says why and what to do
            assert confirm.status.property("status") != "registered"
            assert confirm.warnings.isVisible()
            assert confirm.warnings.property("level") in ("error", "warning")
            assert confirm.warnings.fix.text()
        partner_id = flow.result.partner_id
        click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    else:
        assert flow.phase == Phase.FAILED
        assert flow.diagnosis is not None and flow.diagnosis.code == code
        partner_id = flow._reg.partner_id if flow._reg is not None else None
        click(qtbot, wizard.button(QWizard.WizardButton.CancelButton))
    qtbot.waitUntil(lambda: window.sender_wizard is None or not wizard.isVisible(), timeout=5000)
    assert partner_id is not None

    # the partners list
    qtbot.waitUntil(lambda: window.model.row_of(partner_id) >= 0, timeout=5000)
    row = window.model.row_of(partner_id)
    cell = window.model.index(row, PartnersTableModel.COL_STATUS)
    qtbot.waitUntil(lambda: cell.data() == status, timeout=5000)
    name = window.model.index(row, 2).data()
    assert "[sandbox]" in name or not registered

    # the detail view, reached by clicking the row
    click_row(qtbot, window, partner_id)
    view = window.partner_view
    assert view.status_pill.text() == status
    if registered:
        assert view.sandbox_pill.isVisible()
    if code is None:
        assert not view.health_banner.isVisible()
        assert view.status_pill.property("status") == "registered"
    else:
        assert view.health_banner.isVisible()
        health = view.health
        assert health is not None and health.level == level and health.codes()[0] == code
        worst = health.findings[0]
        assert worst.message in view.health_banner.text.text()
        assert worst.hint in view.health_banner.fix.text()

    # the registration run, in History and in the log pane's header: a standing registration
    # that does not work is "succeeded, but …", never a plain "succeeded"
    run_outcome = view.history.item(0, 2).text()
    log_header = window.log_pane.run_label.text()
    if registered and level != "ok":
        assert run_outcome == f"succeeded, but {health.findings[0].label}"
        assert log_header.endswith(f"· {run_outcome}")
    elif registered:
        assert run_outcome == "succeeded"
    else:
        assert run_outcome == "failed"

    # the CLI, against the same vault file once the app has let go of it
    run_on(qapp, controller.aclose(), 20.0)
    vault_path = vault.path
    vault.close()
    shown = peers_show(vault_path, str(partner_id), tmp_path)
    assert shown["id"] == partner_id
    assert shown["status"] == ("registered" if registered else "failed")
    codes = [w["code"] for w in shown["warnings"]]
    if code is None:
        # nothing wrong with the registration; but the sandbox went with the app
        assert codes == ["sandbox.not_running"] and shown["health"] == "failing"
        assert shown["sandbox"] is True
    else:
        assert code in codes
        message = next(w["message"] for w in shown["warnings"] if w["code"] == code)
        assert message == health.findings[0].message  # the same words as the detail view
        # failing: the fault itself, or (a registration that stood) the sandbox is gone
        assert shown["health"] == "failing"
        assert ("sandbox.not_running" in codes) == registered
