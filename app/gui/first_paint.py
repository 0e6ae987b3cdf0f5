"""Run something once a window has painted its first frame.

Why: the main window used to start the engine (importing aiohttp's server, binding our
endpoint) right after show(); the task's first step ran before Qt painted, so the window
stayed blank for that long (issue 13). Deferring it past the first paint shows the filled
partners list first; the engine then starts while the person reads it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

# If no paint arrives (a hidden or minimised window), run anyway after this long.
FALLBACK_MS = 1000


class _AfterFirstPaint(QObject):
    def __init__(self, widget: QWidget, callback: Callable[[], object]) -> None:
        super().__init__(widget)
        self._callback = callback
        self._done = False
        widget.installEventFilter(self)
        QTimer.singleShot(FALLBACK_MS, self, self._fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._done:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self, self._fire)  # once this frame is on screen
        return False

    def _fire(self) -> None:
        if not self._done:
            self._done = True
            self._callback()


def after_first_paint(widget: QWidget, callback: Callable[[], object]) -> None:
    """Call `callback` once, right after `widget`'s first paint (or after FALLBACK_MS)."""
    _AfterFirstPaint(widget, callback)
