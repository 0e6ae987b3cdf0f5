"""Connection health in the window, as a person uses it: the Verify action and its report,
the health column with its reasons on hover, drift shown and accepted, the rotation
reminder, Suspected compromise, and the liveness loop that never stalls the UI."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from app.core.tokens import Secret, TokenRole, generate_token
from app.engine.connection_health import ConnectionFacts, findings
from app.gui.models import PartnersTableModel
from app.sandbox import SandboxPartner
from tests.gui.conftest import run_on
from tests.gui.helpers import WAIT_MS, raw_tokens, register_sandbox, select_when_listed

HEALTH = PartnersTableModel.COL_HEALTH


def _registered(qtbot: Any, window: Any, controller: Any, fault: str = "none") -> int:
    result = register_sandbox(qtbot, controller, fault)
    qtbot.waitUntil(lambda: window.model.row_of(result.partner_id) >= 0, timeout=5000)
    select_when_listed(qtbot, window, result.partner_id)
    qtbot.waitUntil(lambda: window.selected_partner().status == "registered", timeout=5000)
    return int(result.partner_id)


def _cell(
    window: Any, partner_id: int, column: int, role: int = Qt.ItemDataRole.DisplayRole
) -> Any:
    return window.model.index(window.model.row_of(partner_id), column).data(role)


def test_verify_action_fills_the_report_and_the_health_column(
    qtbot: Any, window: Any, controller: Any
) -> None:
    pid = _registered(qtbot, window, controller, "lying-pagination")
    ui = window.health_ui
    qtbot.waitUntil(lambda: _cell(window, pid, HEALTH) == "ok", timeout=5000)
    assert _cell(window, pid, 9) == "never"
    assert ui.verify_action.isEnabled()
    with qtbot.waitSignal(ui.ops.verifyFinished, timeout=WAIT_MS) as done:
        ui.verify_action.trigger()
    report = done.args[1]
    assert report["summary"]["fail"] >= 1
    qtbot.waitUntil(lambda: _cell(window, pid, HEALTH) == "warning", timeout=5000)
    tip = _cell(window, pid, HEALTH, Qt.ItemDataRole.ToolTipRole)
    assert "pagination.locations" in tip
    # a token issued today reads "today" (it read "0 d": see test_token_ages_read_as_words)
    assert _cell(window, pid, 9) != "never" and _cell(window, pid, 10) == "today"
    assert _cell(window, pid, 11) == "no TLS"  # the sandbox speaks http on loopback
    tab = ui.tab
    dialog = tab.dialog  # the report opens with room to read each fix
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    ids = [dialog.report.item(r, 1).text() for r in range(dialog.report.rowCount())]
    assert ids == [c["id"] for c in report["checks"]]
    row = ids.index("pagination.locations")
    assert dialog.report.item(row, 0).text() == "FAIL"
    assert "X-Total-Count" in dialog.report.item(row, 3).text()  # the fix names the problem
    assert "Last verify" in dialog.title.text() and "NL-SBX" in dialog.windowTitle()
    dialog.close()
    window.partner_view.tabs.setCurrentWidget(tab)
    assert "fail" in tab.report_title.text() and "token issued today" in tab.reminders.text()
    qtbot.mouseClick(tab.report_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    dialog.close()
    assert window.partner_view.banner.title.text() == "Verify finished"


def test_drift_is_shown_then_accepted_by_the_button(
    qtbot: Any, window: Any, controller: Any
) -> None:
    pid = _registered(qtbot, window, controller, "drift-module")
    ui = window.health_ui
    assert not ui.accept_action.isEnabled()  # nothing to accept yet
    with qtbot.waitSignal(controller.operationFinished, timeout=WAIT_MS):
        window.check_action.trigger()
    qtbot.waitUntil(lambda: _cell(window, pid, HEALTH) == "warning", timeout=5000)
    assert "tariffs" in _cell(window, pid, HEALTH, Qt.ItemDataRole.ToolTipRole)
    tab = ui.tab
    whats = [tab.drift.item(r, 2).text() for r in range(tab.drift.rowCount())]
    assert "module tariffs (SENDER) dropped" in whats
    qtbot.waitUntil(lambda: ui.accept_action.isEnabled(), timeout=5000)
    assert tab.accept_button.isEnabled()
    with qtbot.waitSignal(ui.ops.driftAccepted, timeout=WAIT_MS):
        qtbot.mouseClick(tab.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _cell(window, pid, HEALTH) == "ok", timeout=5000)
    assert tab.drift.item(0, 1).text() == "accepted · baseline"
    assert not ui.accept_action.isEnabled()


def test_old_token_reminds_to_rotate(qtbot: Any, window: Any, controller: Any) -> None:
    pid = _registered(qtbot, window, controller)
    old = (datetime.now(UTC) - timedelta(days=45)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with controller.vault.transaction():  # a token stored 45 days ago (set-up only)
        controller.vault._exec(
            "UPDATE credentials SET created = ? WHERE partner_id = ?", (old, pid)
        )
    window.reload_partners()
    qtbot.waitUntil(lambda: _cell(window, pid, 10) == "45 d", timeout=5000)
    assert _cell(window, pid, HEALTH) == "warning"
    assert "45 days old" in _cell(window, pid, HEALTH, Qt.ItemDataRole.ToolTipRole)


def _token_issued(controller: Any, partner_id: int, days_ago: float) -> None:
    when = (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with controller.vault.transaction():  # set-up only: the token's issue time
        controller.vault._exec(
            "UPDATE credentials SET created = ? WHERE partner_id = ?", (when, partner_id)
        )


def test_token_ages_read_as_words(qtbot: Any, window: Any, controller: Any) -> None:
    """Seen in a real window: the Health tab said "token 0 d old" for a token issued that
    day. A person reads: issued today, 1 day old, n days old (the list cell: today, 1 d)."""
    pid = _registered(qtbot, window, controller)
    tabs = window.partner_view.tabs
    tab = window.health_ui.tab
    bar = tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(tabs.indexOf(tab)).center())
    assert tabs.currentWidget() is tab and tab.isVisible()
    for days_ago, cell, words in ((0.2, "today", "token issued today"),
                                  (1.2, "1 d", "token 1 day old"),
                                  (3.5, "3 d", "token 3 days old")):  # fmt: skip
        _token_issued(controller, pid, days_ago)
        window.reload_partners()
        qtbot.waitUntil(lambda cell=cell: _cell(window, pid, 10) == cell, timeout=5000)
        qtbot.waitUntil(lambda words=words: words in tab.reminders.text(), timeout=5000)
        assert " d old" not in tab.reminders.text()


def test_reminder_rules() -> None:
    soon = findings(ConnectionFacts(tls_expires_days=10))
    assert [f.code for f in soon] == ["tls.expiring"] and "10 days" in soon[0].message
    tomorrow = findings(ConnectionFacts(tls_expires_days=1))[0]
    assert "expires in 1 day." in tomorrow.message and tomorrow.label.endswith("in 1 day")
    assert "expires today" in findings(ConnectionFacts(tls_expires_days=0))[0].message
    assert "expired 1 day ago" in findings(ConnectionFacts(tls_expires_days=-1))[0].message
    assert [f.code for f in findings(ConnectionFacts(tls_expires_days=30))] == []
    assert findings(ConnectionFacts(tls_expires_days=-2))[0].level == "failing"
    assert [f.code for f in findings(ConnectionFacts(token_age_days=31))] == ["token.rotation_due"]
    assert findings(ConnectionFacts(token_age_days=30)) == []
    drift = ConnectionFacts(open_drift=[{"what": "endpoint locations (SENDER) moved"}])
    assert "locations" in findings(drift)[0].message


def test_suspected_compromise_rotates_and_writes_an_incident(
    qtbot: Any, window: Any, controller: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pid = _registered(qtbot, window, controller)
    ui = window.health_ui
    ui.ops.incident_dir = tmp_path / "incidents"
    before = {c.fingerprint for c in controller.credentials(pid)}
    asked: list[str] = []
    monkeypatch.setattr(ui, "confirm_compromise", lambda p: asked.append(p.ref) or True)
    with qtbot.waitSignal(ui.ops.compromiseHandled, timeout=WAIT_MS) as done:
        ui.compromise_action.trigger()
    result, path = done.args[1], Path(done.args[2])
    assert asked == ["NL-SBX"] and result.status == "rotated"
    assert result.token_c_fingerprint not in before
    text = path.read_text("utf-8")
    assert "incident" in text and "rotate" in text and result.token_c_fingerprint in text
    assert not [t for t in raw_tokens(controller) if t in text]
    assert str(path) in window.partner_view.banner.text.text()


def test_liveness_probes_one_at_a_time_and_never_stalls_the_ui(
    qtbot: Any, qapp: Any, window: Any, controller: Any
) -> None:
    ops = window.health_ui.ops
    token_a = Secret(generate_token(), TokenRole.A)
    partner = SandboxPartner(token_a, versions=("2.2.1",), slow_seconds=1.5)
    run_on(qapp, partner.start())
    try:

        async def register() -> Any:
            engine = await controller.engine()
            return await engine.register(partner.versions_url, token_a)

        result = run_on(qapp, register())
        assert result.status == "registered"
        pid = int(result.partner_id)
        assert ops.watched() == [pid]  # a partner of ours, not the app's sandbox

        ops.is_online = lambda: False
        assert ops.tick() == [] and not ops.liveness.in_flight  # offline: nothing sent
        ops.is_online = lambda: True
        partner.server._delay = partner._delay  # the partner answers slowly from now on
        assert ops.tick() == [pid]
        assert ops.tick() == []  # never a second request to the same partner
        fired: list[bool] = []
        QTimer.singleShot(0, lambda: fired.append(bool(ops.liveness.in_flight)))
        qtbot.waitUntil(lambda: bool(fired), timeout=5000)
        assert fired == [True]  # the UI ran while the probe was in flight
        QTest.keyClick(window.search, Qt.Key.Key_A)
        assert window.search.text() == "a"
        window.search.clear()
        with qtbot.waitSignal(ops.livenessChanged, timeout=WAIT_MS):
            pass
        assert ops.liveness.results[pid].ok
        assert _cell(window, pid, HEALTH) != "failing"

        run_on(qapp, partner.stop())
        ops.liveness.results.clear()
        with qtbot.waitSignal(ops.livenessChanged, timeout=WAIT_MS):
            ops.tick()
        assert not ops.liveness.results[pid].ok
        qtbot.waitUntil(lambda: _cell(window, pid, HEALTH) == "failing", timeout=5000)
        assert "still-alive" in _cell(window, pid, HEALTH, Qt.ItemDataRole.ToolTipRole)
    finally:
        run_on(qapp, partner.stop())
        run_on(qapp, asyncio.sleep(0))
