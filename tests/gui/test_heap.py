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
heap.settle_heap_later = lambda window, delay_ms=0, settle_now=None: settled.append(window)


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


SETTLE_COLLECTS_CHILD = """
import gc, weakref
gc.disable()  # as the start leaves it: nothing has collected this cycle yet


class Node:
    pass


dropped = Node()
dropped.me = dropped  # a cycle the start let go of
gone = weakref.ref(dropped)
del dropped
from app.gui.heap import settle_heap
settle_heap()
gc.enable()
assert gone() is None  # collected by the settle, not frozen with what lives on
gc.unfreeze()
assert gc.collect() == 0, "garbage was frozen"
print("ok")
"""


def test_the_settle_collects_before_it_freezes() -> None:
    _child_says_ok(SETTLE_COLLECTS_CHILD)


# Sweeps (full passes held, one at the end) with a real dialog alive across the pass that
# ends each, closed after it: the dialog's Python side is a reference cycle, so if that pass
# froze it, it would stay for good. Only a pass that finds new libraries loaded freezes:
# the dialogs of every other sweep stay collectable; the one alive at that single freeze
# stays (once a session, never once a sweep: no pile-up, which is what sank a freeze after
# every sweep in s22).
SWEEPS_CHILD = """
import gc, os, sys, weakref
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QVBoxLayout
from app.gui import heap

app = QApplication([])
heap.settle_heap()
busy = [False]
passes = heap.FullPassesAfter(lambda: busy[0])
passes._watch.setInterval(5)


class Report(QDialog):
    def __init__(self):
        super().__init__()
        QVBoxLayout(self).addWidget(QLabel("probed"))
        self.on_done = lambda: self.close()  # self -> its dict -> the lambda -> self
        self.show()


def sweep():
    busy[0] = True
    passes.hold()
    report = Report()  # alive when the sweep's held pass runs
    busy[0] = False
    while passes._watch.isActive():
        app.processEvents()
    report.on_done()
    report.deleteLater()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # as the loop does
    return weakref.ref(report)


def frozen_after_sweep():
    before = gc.get_freeze_count()
    seen = sweep()
    return gc.get_freeze_count() > before, seen


kept = []
for _ in range(4):  # nothing new loaded: nothing frozen, every report collectable
    froze, seen = frozen_after_sweep()
    assert not froze
    kept.append(seen)
import email.mime.multipart, http.server, xml.dom.minidom, unittest  # a library loads
assert len(sys.modules) - heap._modules_frozen >= heap.NEW_MODULES
froze, seen = frozen_after_sweep()
assert froze  # the pass after it freezes what it left: the library's modules among it
assert heap._modules_frozen == len(sys.modules)
frozen_report = seen
for _ in range(4):  # and the sweeps after it freeze nothing again
    froze, seen = frozen_after_sweep()
    assert not froze
    kept.append(seen)
gc.collect()
assert [ref() for ref in kept] == [None] * 8
assert frozen_report() is not None  # the one frozen with the library: once, not per sweep
print("ok")
"""


def test_only_a_pass_after_new_libraries_freezes_and_sweeps_leave_nothing_frozen() -> None:
    _child_says_ok(SWEEPS_CHILD)


SETTLE_START_CHILD = """
import gc, sys
from app.gui.ahead import settle_start
assert "app.gui.wizard_sender" not in sys.modules
frozen = settle_start()
assert frozen == gc.get_freeze_count() > 0
from app.gui.wizard_sender import SenderWizard
walked = {id(o) for o in gc.get_objects()}
# the wizard's code (and the HTTP client's, pydantic's under it) is out of every later walk
assert id(SenderWizard.__init__) not in walked and id(vars(SenderWizard)["ready"]) not in walked
assert "httpx" in sys.modules and "pydantic" in sys.modules
print("ok")
"""


def test_the_start_settles_with_the_first_wizards_modules_frozen() -> None:
    """They load in every session (the wizard built ahead a second later): frozen with the
    start, the full pass after a sweep no longer walks them."""
    _child_says_ok(SETTLE_START_CHILD)


SETTLE_VERIFY_CHILD = """
import gc, sys
from app.gui.ahead import settle_start
assert "app.engine.verify" not in sys.modules
settle_start()
import app.engine.verify as verify
walked = {id(o) for o in gc.get_objects()}
# the first Verify imports nothing on the loop's thread, and its checks' code is frozen
assert id(verify.verify) not in walked and id(verify.VerifyRun.run) not in walked
print("ok")
"""


def test_the_start_settles_with_the_verifys_checks_loaded_and_frozen() -> None:
    """The first Verify of a session imported its checks inside the run's first step on
    the event loop's thread (14-21 ms, issue 13): loaded with the start's settle now."""
    _child_says_ok(SETTLE_VERIFY_CHILD)


SETTLE_FIRST_CALL_CHILD = """
import asyncio, gc, sys
from app.engine.warm import FIRST_CALL_MODULES
from app.gui.ahead import settle_first_call, settle_start
settle_start()
assert "app.sandbox.partner" not in sys.modules and "anyio._backends._asyncio" not in sys.modules


async def main():
    frozen = await settle_first_call()
    assert frozen > 0, frozen
    assert all(name in sys.modules for name in FIRST_CALL_MODULES)
    from aiohttp import web
    from anyio._backends import _asyncio
    from app.core.models import Credentials
    from app.sandbox.partner import SandboxPartner
    assert Credentials.__pydantic_complete__  # its validator was built on a thread
    walked = {id(o) for o in gc.get_objects()}
    # the first call's libraries are out of every later walk (the pass after a sweep's)
    assert id(SandboxPartner.__init__) not in walked
    assert id(web.Application.__init__) not in walked
    assert id(_asyncio.TaskGroup.__aenter__) not in walked
    gc.unfreeze()
    assert gc.collect() == 0, "garbage was frozen"


asyncio.run(main())
print("ok")
"""


def test_the_start_settles_again_with_the_first_calls_code_frozen() -> None:
    """Loaded after the start's settle, the first call's libraries (aiohttp's server,
    httpcore, anyio: ~25k objects) were walked by the first full pass after a sweep,
    28-31 ms with the UI stopped: loaded on threads and settled again, collected first."""
    _child_says_ok(SETTLE_FIRST_CALL_CHILD)


CLOSED_FIRST_CALL_CHILD = """
import asyncio, gc, sys
from app.gui.ahead import settle_first_call
assert asyncio.run(settle_first_call(None, lambda: False)) == 0  # the window closed meanwhile
assert gc.get_freeze_count() == 0 and "app.sandbox.partner" in sys.modules
print("ok")
"""


def test_a_window_closed_while_the_first_calls_code_loads_freezes_nothing() -> None:
    """The app unfreezes its heap as its loop ends: a settle after that would freeze the
    objects of its teardown."""
    _child_says_ok(CLOSED_FIRST_CALL_CHILD)
