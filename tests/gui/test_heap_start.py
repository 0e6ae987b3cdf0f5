"""No garbage collection while the window starts, and the collector back on after it.

`app.gui.heap_start` (issue 13, target 1). Each start runs the real app (`run_gui`) in a
fresh interpreter, offscreen, with a real vault unlocked from OCPI_ONBOARD_PASSPHRASE:
the collector's own callbacks count its passes from the launch to the main window's show
and after the window has painted (in the loop, once the engine's endpoint is up). The
packaged app pauses from its first runtime hook: the same call, before PySide6 loads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]

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
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "OCPI_ONBOARD_NO_SPLASH": "1",
        "OCPI_ONBOARD_PASSPHRASE": TEST_PASSPHRASE,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    populate = (
        "import sys\n"
        "from app.vault import Vault, default_vault_path\n"
        "from tests.gui.helpers import add_partners\n"
        "path = default_vault_path()\n"
        "path.parent.mkdir(parents=True, exist_ok=True)\n"
        "with Vault.open(path, sys.argv[1], use_keyring=False) as vault:\n"
        "    add_partners(vault, 30)\n"
    )
    subprocess.run(
        [sys.executable, "-c", populate, TEST_PASSPHRASE],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT="))
    result: dict[str, object] = json.loads(line[len("RESULT=") :])
    return result


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
