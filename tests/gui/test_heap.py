"""The app moves what its start built out of the garbage collector's full passes.

The real freeze runs in a child process: freezing this test process would keep earlier
tests' garbage (Qt wrappers among it) from being collected in order, and change how the
rest of the suite tears down.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from app.gui import heap

CHILD = """
import gc
from app.gui.heap import settle_heap
frozen = settle_heap()
assert frozen > 0 and gc.get_freeze_count() == frozen, frozen
later = []
later.append(later)  # a cycle made after the freeze: the collector still frees it
assert any(o is later for o in gc.get_objects())
del later
assert gc.collect() >= 1
from app.gui.heap import release_heap
release_heap()
assert gc.get_freeze_count() == 0
print("ok")
"""


def _child_says_ok(code: str) -> None:
    """Run `code` in a fresh interpreter (its collector state is its own); it prints ok."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_settle_heap_freezes_what_exists_and_later_objects_stay_collectable() -> None:
    _child_says_ok(CHILD)


def test_only_a_window_still_open_settles_the_heap(qtbot: Any, monkeypatch: Any) -> None:
    from PySide6.QtWidgets import QWidget

    settled: list[int] = []
    monkeypatch.setattr(heap, "settle_heap", lambda: settled.append(1) or 1)
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    heap.settle_heap_later(window, 10)
    window.hide()
    qtbot.wait(50)
    assert settled == []  # closed before the start settled: nothing frozen
    window.show()
    heap.settle_heap_later(window, 10)
    qtbot.waitUntil(lambda: settled == [1], timeout=2000)


RUN_GUI_CHILD = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["OCPI_ONBOARD_NO_SPLASH"] = "1"
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.gui import heap
from app.gui.main_window import MainWindow
settled = []
heap.settle_heap_later = lambda window, delay_ms=0: settled.append(window)


def close_when_shown() -> None:
    app = QApplication.instance()
    for w in app.topLevelWidgets() if app else []:
        if isinstance(w, MainWindow) and w.isVisible():
            w.close()
            return
    QTimer.singleShot(50, close_when_shown)


from app.gui.app import run_gui
QTimer.singleShot(0, close_when_shown)  # runs once run_gui's loop turns
code = run_gui(sys.argv[1:])
print(code, len(settled))
"""


def _run_gui(tmp_path: Any, host_app: bool) -> str:
    from app.settings import Settings, save_settings
    from tests.conftest import TEST_PASSPHRASE

    settings = tmp_path / "settings.json"
    save_settings(
        Settings(country_code="DE", party_id="ONB", roles=["CPO"], business_name="T"), settings
    )
    script = RUN_GUI_CHILD
    if host_app:  # a host (a test session) that made its QApplication before the app
        script = "from PySide6.QtWidgets import QApplication\nhost = QApplication([])\n" + script
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "--vault",
            str(tmp_path / "v.db"),
            "--settings",
            str(settings),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**__import__("os").environ, "OCPI_ONBOARD_PASSPHRASE": TEST_PASSPHRASE},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_the_app_settles_its_own_heap(tmp_path: Any) -> None:
    assert _run_gui(tmp_path, host_app=False) == "0 1"


def test_a_host_that_made_the_qapplication_keeps_its_heap(tmp_path: Any) -> None:
    """Freezing a test session would freeze its earlier tests' garbage too: at the session's
    exit Qt wrappers were then torn down out of order ("shared QObject was deleted directly",
    a segfault after every test had passed)."""
    assert _run_gui(tmp_path, host_app=True) == "0 0"


HOLD_CHILD = """
import gc
from app.gui import heap
before = gc.get_threshold()
assert not heap.hold_full_collections()  # a heap the app never settled: nothing held
assert gc.get_threshold() == before
heap.settle_heap()
assert heap.hold_full_collections()
assert gc.get_threshold() == (before[0], before[1], heap.HELD)
full = []
gc.callbacks.append(lambda phase, info: phase == "stop" and full.append(info["generation"]))
heap.release_full_collections()
assert gc.get_threshold() == before
assert 2 in full, full  # the full pass that waited ran on release
heap.hold_full_collections()
heap.release_heap()  # the app's exit: thresholds back, heap unfrozen
assert gc.get_threshold() == before and gc.get_freeze_count() == 0
print("ok")
"""


def test_full_collections_wait_only_in_the_apps_own_settled_process() -> None:
    _child_says_ok(HOLD_CHILD)


def test_a_sweep_in_a_host_process_changes_no_thresholds(qtbot: Any) -> None:
    """This test session never settled its heap: holding during a sweep does nothing."""
    import gc

    busy = [True]
    passes = heap.FullPassesAfter(lambda: busy[0])
    before = gc.get_threshold()
    passes.hold()
    assert gc.get_threshold() == before
    busy[0] = False
    passes.release()
    assert gc.get_threshold() == before


def test_the_held_pass_runs_once_the_sweep_ends(qtbot: Any, monkeypatch: Any) -> None:
    released: list[bool] = []
    monkeypatch.setattr(heap, "hold_full_collections", lambda: True)
    monkeypatch.setattr(heap, "release_full_collections", released.append)
    monkeypatch.setattr(heap, "WATCH_MS", 10)
    busy = [True]
    passes = heap.FullPassesAfter(lambda: busy[0])
    passes._watch.setInterval(10)
    passes.hold()
    qtbot.wait(50)
    assert released == []  # the sweep still runs
    busy[0] = False
    qtbot.waitUntil(lambda: released == [True], timeout=2000)
    passes.release()  # nothing held any more: nothing released twice
    assert released == [True]
