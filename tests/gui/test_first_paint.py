"""after_first_paint: the engine's start waits until the main window has drawn a frame."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QWidget

from app.gui.first_paint import after_first_paint


class _Canvas(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def paintEvent(self, event: QPaintEvent) -> None:
        self.paints += 1
        super().paintEvent(event)


def test_runs_once_after_the_first_paint(qtbot: Any) -> None:
    canvas = _Canvas()
    qtbot.addWidget(canvas)
    seen: list[int] = []
    after_first_paint(canvas, lambda: seen.append(canvas.paints))
    assert seen == []  # nothing before the window is even shown
    canvas.show()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen[0] >= 1  # it ran after a frame was painted
    canvas.update()
    canvas.repaint()
    qtbot.wait(50)
    assert len(seen) == 1  # and only once


def test_a_window_never_painted_still_gets_it(qtbot: Any) -> None:
    canvas = _Canvas()
    qtbot.addWidget(canvas)
    seen: list[int] = []
    after_first_paint(canvas, lambda: seen.append(canvas.paints))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)  # the fallback timer
    assert seen == [0]
