"""Quitting the app the ways a person does, with the startup wizard open.

Issue 9: a later start with `--sandbox` opens the Sender wizard at once, and the window
manager makes it the active window. Ctrl+Q there did nothing (Quit was a shortcut of the
main window only), so the app never ended: the process stayed with both windows open.
These run the app's own entry point (`run_gui`), answer the real Unlock dialog, wait for
the sandbox wizard, then quit by Ctrl+Q in the wizard, by File ▸ Quit from the keyboard,
or by the window system closing the main window. `run_gui` must return 0. If the quit does
nothing, a bounded fallback closes the window so that the test fails instead of hanging.
tests/desktop runs the same paths as a real process under X11 with a window manager.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from app.gui import unlock
from app.gui.app import run_gui
from app.gui.main_window import MainWindow
from app.gui.wizard_sender import SenderWizard
from app.settings import Settings, save_settings
from app.vault import Vault

PASSPHRASE = "a long later-start passphrase"
FALLBACK_S = 15.0  # bound: a quit that did nothing is closed by the test, which then fails


def _visible(kind: type) -> Any:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    return found[0] if found else None


def _active(widget: QWidget) -> bool:
    widget.activateWindow()
    widget.raise_()
    return QApplication.activeWindow() is widget


def _ctrl_q_in_the_wizard(window: MainWindow, wizard: SenderWizard) -> bool:
    if not _active(wizard):
        return False
    target = QApplication.focusWidget() or wizard
    assert target.window() is wizard
    QTest.keyClick(target, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    return True


def _file_quit_by_keyboard(window: MainWindow, wizard: SenderWizard) -> bool:
    """Alt+F in the main window, then Q (File ▸ &Quit) in the menu that opened."""
    if not _active(window):
        return False
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu), "Alt+F opened no menu"
    assert menu.title() == "&File"
    QTest.keyClick(menu, Qt.Key.Key_Q)
    return True


def _window_system_closes_the_window(window: MainWindow, wizard: SenderWizard) -> bool:
    """What the window manager's close button does: the platform window is asked to close."""
    handle = window.windowHandle()
    assert handle is not None
    handle.close()
    return True


QUITS: dict[str, Callable[[MainWindow, SenderWizard], bool]] = {
    "ctrl-q-in-startup-wizard": _ctrl_q_in_the_wizard,
    "file-quit": _file_quit_by_keyboard,
    "close-window": _window_system_closes_the_window,
}


@pytest.mark.parametrize("how", list(QUITS))
def test_a_later_start_with_the_sandbox_wizard_open_quits(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.delenv("OCPI_ONBOARD_PASSPHRASE", raising=False)
    monkeypatch.delenv("OCPI_ONBOARD_NO_SPLASH", raising=False)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    settings = tmp_path / "settings.json"
    save_settings(
        Settings(country_code="DE", party_id="ONB", roles=["CPO"], business_name="Test"),
        settings,
    )
    vault = tmp_path / "vault.db"
    Vault.open(vault, passphrase=PASSPHRASE, use_keyring=False).close()  # a later start
    seen: dict[str, Any] = {"answered": False, "quit_at": None, "fallback": False, "wizard": None}

    def step() -> None:
        dialog = _visible(unlock.PassphraseDialog)
        if dialog is not None and not seen["answered"] and dialog.buttons.isEnabled():
            seen["answered"] = True
            dialog.passphrase.setFocus()
            QTest.keyClicks(dialog.passphrase, PASSPHRASE)
            QTest.keyClick(dialog.passphrase, Qt.Key.Key_Return)
            return
        window = _visible(MainWindow)
        if window is None:
            return
        if seen["quit_at"] is None:
            wizard = window.sender_wizard
            ready = (
                wizard is not None and wizard.isVisible() and wizard.receive_page.url_edit.text()
            )
            if ready and QUITS[how](window, wizard):
                seen["wizard"] = wizard.windowTitle()
                seen["quit_at"] = time.monotonic()
        elif time.monotonic() - seen["quit_at"] > FALLBACK_S:
            seen["fallback"] = True  # the quit did nothing: end the test, which fails below
            window.close()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(30)
    try:
        code = run_gui(["--sandbox", "--vault", str(vault), "--settings", str(settings)])
    finally:
        timer.stop()
        asyncio.set_event_loop(None)
    assert seen["answered"] and seen["wizard"] == "Onboard the sandbox partner — OCPI Onboard"
    assert not seen["fallback"], f"{how}: the app was still running with its windows open"
    assert code == 0
    assert not [w for w in QApplication.topLevelWidgets() if w.isVisible()]
