"""Keep the garbage collector's full passes short while the window runs (issue 13).

A full (oldest-generation) collection walks every container object Python tracks: with
the engine, Qt's bindings and a 2,000-partner list loaded that is ~90,000 objects, and one
pass stopped the event loop for 40-120 ms in the middle of a liveness sweep. Nearly all of
them live as long as the app (modules, classes, the window's widgets), so once the start
is over they go to the permanent generation (`gc.freeze`): later full passes walk only
what was made since. Reference counting still frees frozen objects that are dropped; only
a reference cycle among them is never collected, which for what exists at start is fine.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

SETTLE_MS = 3000  # after the first paint: the engine's imports and start are done by then


def settle_heap() -> int:
    """Freeze what exists now; returns how many objects the collector will no longer walk."""
    gc.freeze()
    return gc.get_freeze_count()


def release_heap() -> None:
    """Back to the collector's normal walk (the app is about to exit: its objects are torn
    down in the order Python and Qt expect, not left frozen past the loop's end)."""
    gc.unfreeze()


def settle_heap_later(window: QWidget, delay_ms: int = SETTLE_MS) -> None:
    """`settle_heap` once the start has settled, if `window` is still open then (the app
    calls this once, for its main window; a window closed before never freezes anything)."""

    def settle() -> None:
        if window.isVisible():
            settle_heap()

    QTimer.singleShot(delay_ms, window, settle)
