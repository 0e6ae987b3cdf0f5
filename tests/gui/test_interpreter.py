"""The app hands the interpreter lock back to the window's thread within 1 ms once its
window is painted (app/gui/interpreter.py): threads that work ahead beside the loop (the
first call's imports, aiohttp's server) held it 5-10 ms at a time, 10-20 times a warm-up.

The real app (`run_gui`) in a fresh interpreter, offscreen, with a real vault unlocked from
OCPI_ONBOARD_PASSPHRASE: the switch interval is read when the main window shows (the start
itself is unchanged) and in the loop once the engine's endpoint is up; a host that made
its QApplication first (a test session) keeps its own.
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.gui.interpreter import WINDOW_SWITCH_S, favour_the_window
from tests.conftest import TEST_PASSPHRASE
from tests.support.probe import app_env, fill_app_vault, run_probe

PROBE = """
import json, sys
if "--host" in sys.argv:  # a host (a test session) that made its QApplication first
    from PySide6.QtWidgets import QApplication
    host = QApplication([])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

seen = {"launch": sys.getswitchinterval()}
_show = QWidget.show


def show(self):
    _show(self)
    if type(self).__name__ != "MainWindow" or "at_show" in seen:
        return
    seen["at_show"] = sys.getswitchinterval()

    def on_endpoint(url):  # in the loop: the window has painted, the engine has started
        seen["in_loop"] = sys.getswitchinterval()
        self.close()

    self.controller.endpointChanged.connect(on_endpoint)
    QTimer.singleShot(60000, self.close)  # a bound: the assertions say what was missing


QWidget.show = show
from app.gui.app import run_gui

code = run_gui([])
print("RESULT=" + json.dumps({"code": code, **seen}))
"""


def _start(tmp_path: Path, *flags: str) -> dict[str, object]:
    env = app_env(tmp_path, TEST_PASSPHRASE)
    fill_app_vault(env, TEST_PASSPHRASE, "pass\n")
    return run_probe(PROBE, *flags, env=env, timeout=180)


def test_the_app_favours_its_window_once_painted(tmp_path: Path) -> None:
    seen = _start(tmp_path)
    assert seen["code"] == 0
    assert seen["at_show"] == seen["launch"] == 0.005  # CPython's default until the paint
    assert seen["in_loop"] == WINDOW_SWITCH_S


def test_a_host_keeps_its_own_switch_interval(tmp_path: Path) -> None:
    seen = _start(tmp_path, "--host")
    assert seen["code"] == 0
    assert seen["in_loop"] == seen["launch"]


def test_favouring_the_window_shortens_the_switch_interval() -> None:
    before = sys.getswitchinterval()
    try:
        favour_the_window()
        assert sys.getswitchinterval() == WINDOW_SWITCH_S < before
    finally:
        sys.setswitchinterval(before)
