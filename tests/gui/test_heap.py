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


def test_settle_heap_freezes_what_exists_and_later_objects_stay_collectable() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


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
