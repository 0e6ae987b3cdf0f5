"""First start and every later start without a keyring: the real passphrase dialog, answered.

Issue 9: with no OCPI_ONBOARD_PASSPHRASE and no OS keyring, both "Create vault" and
"Unlock" ended the process (the splash was finished before the prompt, then again on a
deleted object). These run the app's own entry point (`run_gui`) with the splash shown and
type into the dialog it opens; tests/desktop runs the same as a real process under X11.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.gui import unlock
from app.gui.app import run_gui
from app.gui.main_window import MainWindow
from app.settings import Settings, save_settings
from app.vault import Vault

PASSPHRASE = "a long first-start passphrase"


def _visible(kind: type) -> Any:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    return found[0] if found else None


def _start(
    tmp_path: Path, answers: list[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, dict[str, Any]]:
    """Run the app; type each answer into the passphrase dialog; close the main window."""
    monkeypatch.delenv("OCPI_ONBOARD_PASSPHRASE", raising=False)
    monkeypatch.delenv("OCPI_ONBOARD_NO_SPLASH", raising=False)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    settings = tmp_path / "settings.json"
    if not settings.exists():
        save_settings(
            Settings(country_code="DE", party_id="ONB", roles=["CPO"], business_name="Test"),
            settings,
        )
    seen: dict[str, Any] = {"titles": [], "notices": [], "main": False}
    pending = list(answers)

    def step() -> None:
        window = _visible(MainWindow)
        if window is not None:
            seen["main"] = True
            window.close()
            return
        dialog = _visible(unlock.PassphraseDialog)
        if dialog is None or not dialog.buttons.isEnabled() or not pending:
            return
        if dialog.error.isVisible():
            seen["notices"].append(dialog.error.title.text())
        seen["titles"].append(dialog.windowTitle())
        text = pending.pop(0)
        dialog.passphrase.setFocus()
        dialog.passphrase.clear()
        QTest.keyClicks(dialog.passphrase, text)
        if dialog.new:
            QTest.keyClick(dialog.passphrase, Qt.Key.Key_Tab)
            QTest.keyClicks(dialog.confirm, text)
        QTest.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_Return)

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(30)
    try:
        code = run_gui(["--vault", str(tmp_path / "vault.db"), "--settings", str(settings)])
    finally:
        timer.stop()
    asyncio.set_event_loop(None)
    return code, seen


def test_create_then_unlock_reach_the_main_window(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, seen = _start(tmp_path, [PASSPHRASE], monkeypatch)
    assert code == 0 and seen["main"], seen
    assert seen["titles"] == ["Create the vault — OCPI Onboard"]
    Vault.open(tmp_path / "vault.db", passphrase=PASSPHRASE, use_keyring=False).close()

    code, seen = _start(tmp_path, ["not it at all", PASSPHRASE], monkeypatch)
    assert code == 0 and seen["main"], seen
    assert seen["titles"] == ["Unlock the vault — OCPI Onboard"] * 2
    assert any("unlock" in notice.lower() for notice in seen["notices"]), seen


def test_wrong_passphrase_in_the_environment_is_said_in_the_prompt(
    qtbot: Any, qloop: Any, qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "vault.db"
    Vault.open(path, passphrase=PASSPHRASE, use_keyring=False).close()
    monkeypatch.setenv("OCPI_ONBOARD_PASSPHRASE", "stale passphrase from a script")
    task = asyncio.ensure_future(unlock.unlock_vault(path, use_keyring=False))
    qtbot.waitUntil(lambda: _visible(unlock.PassphraseDialog) is not None, timeout=10_000)
    dialog = _visible(unlock.PassphraseDialog)
    assert dialog.error.isVisible()
    assert "OCPI_ONBOARD_PASSPHRASE" in dialog.error.title.text()
    assert "stale passphrase" not in dialog.error.title.text()
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    QTest.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(task.done, timeout=10_000)
    task.result().close()


def test_the_splash_can_be_finished_twice(qapp: QApplication) -> None:
    from app.gui.splash import StartupSplash
    from app.gui.theme import app_icon

    splash = StartupSplash(app_icon())
    splash.show_centered()
    splash.finish()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the C++ object goes
    splash.finish()


@pytest.mark.parametrize(
    "argv", [["--gui", "--sandbox", "--fault", "bogus"], ["--sandbox", "--fault", "bogus"]]
)
def test_unknown_fault_lists_the_faults(argv: list[str]) -> None:
    import subprocess

    from app.sandbox import Fault

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(root / "main.py"), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
    )
    assert done.returncode == 2, done
    assert "unknown fault 'bogus'" in done.stderr
    for fault in Fault:
        assert fault.value in done.stderr
    assert "Traceback" not in done.stderr and "internal" not in done.stderr.lower()
