"""The Qt binding keeps Python's reference counts: a void call must not drop one on None.

PySide6 6.12.0 on Python 3.11 (where None, True and False are not yet immortal) returned
None from every void method without a reference: after a few thousand calls (setText,
trigger, emit) the process aborted with "none_dealloc" / "bool_dealloc". pyproject.toml
keeps that version out; this guards the pin. Counts only, no timing.
"""

from __future__ import annotations

import sys

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QPushButton

CALLS = 1000  # far below None's count at start (~5,000), so a broken binding fails, not aborts


def test_void_calls_and_signals_keep_none_and_false_alive(qapp: QApplication) -> None:
    button = QPushButton("x")
    action = QAction("a")
    seen: list[int] = []
    action.triggered.connect(lambda: seen.append(1))
    none_before, false_before = sys.getrefcount(None), sys.getrefcount(False)
    for _ in range(CALLS):
        button.setText("y")
        action.trigger()
    for _ in range(CALLS // 10):
        action.triggered.emit()
    none_lost = none_before - sys.getrefcount(None)
    false_lost = false_before - sys.getrefcount(False)
    assert len(seen) == CALLS + CALLS // 10
    assert none_lost < CALLS // 10, f"the binding dropped {none_lost} references to None"
    assert false_lost < CALLS // 20, f"the binding dropped {false_lost} references to False"
