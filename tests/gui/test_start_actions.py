"""Actions right after the window appears, before the engine was ever built (issue 13).

The main window no longer imports the engine: the controller builds it on first use (the
warm-up after the first paint, or an action, whichever comes first). A person who presses
a shortcut the moment the list is drawn must get the same result as later.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.core.tokens import Secret, TokenRole, generate_token
from app.engine import RunResult
from app.sandbox import SandboxPartner
from app.settings import Settings
from app.vault import Vault
from tests.conftest import FAST
from tests.gui.conftest import run_on
from tests.gui.helpers import WAIT_MS


@pytest.fixture
def partner(qapp: QApplication, qloop: Any) -> Iterator[SandboxPartner]:
    sandbox = SandboxPartner(Secret(generate_token(), TokenRole.A), http_settings=FAST)
    run_on(qapp, sandbox.start())
    yield sandbox
    run_on(qapp, sandbox.stop())


def _registered(qapp: QApplication, vault: Vault, settings: Settings, partner: Any) -> int:
    """A partner registered by an earlier session (its engine closed since)."""
    from app.gui.controller import Controller

    earlier = Controller(vault, settings)

    async def work() -> RunResult:
        engine = await earlier.engine()
        return await engine.register(partner.versions_url, partner.token_a)

    result = run_on(qapp, work(), 60.0)
    run_on(qapp, earlier.aclose(), 20.0)
    assert result.status == "registered" and result.partner_id is not None, result
    return int(result.partner_id)


def test_check_by_its_shortcut_the_moment_the_list_is_drawn(
    qtbot: Any,
    qapp: QApplication,
    vault: Vault,
    settings: Settings,
    settings_path: Path,
    partner: Any,
    clipboard: Any,
    tmp_path: Path,
) -> None:
    from app.gui.controller import Controller
    from app.gui.main_window import MainWindow, window_state

    partner_id = _registered(qapp, vault, settings, partner)
    controller = Controller(vault, settings, settings_path=settings_path)
    window = MainWindow(controller, clipboard=clipboard, state=window_state(tmp_path / "w.ini"))
    qtbot.addWidget(window)
    try:
        window.show()
        window.activateWindow()
        window.raise_()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
        assert controller.engine_or_none is None  # nothing has built the engine yet
        assert window.select_partner(partner_id)
        assert window.check_action.isEnabled()
        with qtbot.waitSignal(controller.operationFinished, timeout=WAIT_MS) as finished:
            QTest.keyClick(window, Qt.Key.Key_F5)
        kind, result = finished.args
        assert kind == "check" and result.ok and result.partner_id == partner_id
        assert controller.engine_or_none is not None  # built by the action, on demand
        assert "Connection OK" in window.statusBar().currentMessage()
    finally:
        window.close()
        run_on(qapp, controller.aclose(), 20.0)


def test_verify_by_its_shortcut_the_moment_the_list_is_drawn(
    qtbot: Any,
    qapp: QApplication,
    vault: Vault,
    settings: Settings,
    settings_path: Path,
    partner: Any,
    clipboard: Any,
    tmp_path: Path,
) -> None:
    from app.gui.controller import Controller
    from app.gui.main_window import MainWindow, window_state

    partner_id = _registered(qapp, vault, settings, partner)
    controller = Controller(vault, settings, settings_path=settings_path)
    window = MainWindow(controller, clipboard=clipboard, state=window_state(tmp_path / "w.ini"))
    qtbot.addWidget(window)
    try:
        window.show()
        window.activateWindow()
        window.raise_()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
        assert controller.engine_or_none is None
        assert window.select_partner(partner_id)
        ops = window.health_ui.ops
        with qtbot.waitSignal(ops.verifyFinished, timeout=60_000) as finished:
            QTest.keySequence(window, QKeySequence("Ctrl+Shift+V"))
        verified_id, report = finished.args
        assert verified_id == partner_id and report.get("summary")
        assert controller.engine_or_none is not None
    finally:
        window.close()
        run_on(qapp, controller.aclose(), 20.0)
