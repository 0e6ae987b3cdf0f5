"""No garbage collection while the window starts, and the collector back on after it.

`app.gui.heap_start` (issue 13, target 1). Each start runs the real app (`run_gui`) in a
fresh interpreter, offscreen, with a real vault unlocked from OCPI_ONBOARD_PASSPHRASE:
the collector's own callbacks count its passes from the launch to the main window's show
and after the window has painted (in the loop, once the engine's endpoint is up). The
packaged app pauses from its first runtime hook: the same call, before PySide6 loads.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TEST_PASSPHRASE
from tests.support.probe import app_env, fill_app_vault, run_probe

PROBE = """
import gc, json, sys
passes = []
gc.callbacks.append(lambda phase, info: phase == "start" and passes.append(info["generation"]))
if "--host" in sys.argv:  # a host (a test session) that made its QApplication first
    from PySide6.QtWidgets import QApplication
    host = QApplication([])
seen = {}
if "--hook" in sys.argv:  # what packaging/rthook_early_key.py does before PySide6 loads
    from app.gui.heap_start import pause_for_start
    seen["hook_paused"] = pause_for_start() and not gc.isenabled()
    seen["before"] = len(passes)
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

_show = QWidget.show


def show(self):
    _show(self)
    if type(self).__name__ != "MainWindow" or "at_show" in seen:
        return
    seen["at_show"] = {"enabled": gc.isenabled(), "passes": len(passes) - seen["before"]}

    def on_endpoint(url):  # in the loop: the window has painted, the engine has started
        seen["in_loop"] = {"enabled": gc.isenabled(), "rows": self.model.rowCount()}
        self.close()

    self.controller.endpointChanged.connect(on_endpoint)
    QTimer.singleShot(60000, self.close)  # a bound: the assertions say what was missing


QWidget.show = show
from app.gui import heap_start
from app.gui.app import run_gui

_pause = heap_start.pause_for_start


def pause_for_start():  # the passes are counted from the moment the app pauses them
    paused = _pause()
    seen.setdefault("before", len(passes))
    return paused


heap_start.pause_for_start = pause_for_start
code = run_gui([])
seen["after_exit"] = gc.isenabled()
print("RESULT=" + json.dumps({"code": code, **seen}))
"""


def _start(tmp_path: Path, *flags: str) -> dict[str, object]:
    env = app_env(tmp_path, TEST_PASSPHRASE)
    fill_app_vault(
        env,
        TEST_PASSPHRASE,
        """
        from tests.gui.helpers import add_partners
        add_partners(vault, 30)
        """,
    )
    return run_probe(PROBE, *flags, env=env, timeout=180)


def test_no_collection_runs_until_the_window_shows_and_it_runs_again_after(
    tmp_path: Path,
) -> None:
    result = _start(tmp_path)
    assert result["code"] == 0
    assert result["at_show"] == {"enabled": False, "passes": 0}
    # the window painted, the loop runs: the collector is on again, the list is whole
    assert result["in_loop"] == {"enabled": True, "rows": 30}
    assert result["after_exit"] is True


def test_the_packaged_launch_pauses_before_qt_loads_and_run_gui_resumes(tmp_path: Path) -> None:
    result = _start(tmp_path, "--hook")
    assert result["hook_paused"] is True
    assert result["at_show"] == {"enabled": False, "passes": 0}
    assert result["in_loop"] == {"enabled": True, "rows": 30}
    assert result["after_exit"] is True


def test_a_host_that_made_the_qapplication_keeps_its_collector(tmp_path: Path) -> None:
    """A test session's collector is its own: the app never switches it off there."""
    result = _start(tmp_path, "--host")
    at_show = result["at_show"]
    assert isinstance(at_show, dict) and at_show["enabled"] is True
    assert result["after_exit"] is True
