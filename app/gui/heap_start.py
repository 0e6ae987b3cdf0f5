"""No garbage collection while the window starts (issue 13, target 1).

What a start makes (modules, classes, Qt's enum types, the window and its list) lives as
long as the app, yet the collector kept walking it: ~80 young and middle passes before
the first paint, ~11 ms of the UI thread in the package (measured with a runtime hook:
gc.callbacks, main-thread CPU). Paused from the launch (in the package: our first runtime
hook, before PySide6 loads) until the window has painted, then on again; the few cycles
the start drops (~15k objects) go at the first pass after, and the heap is collected and
frozen once the start has settled (`app.gui.heap.settle_heap`).

No Qt here: the packaged app pauses before PySide6 is imported.
"""

from __future__ import annotations

import gc
import sys

_paused = False


def _owns_process() -> bool:
    """Whether the app is the process: a host that made its QApplication first (a test
    session) keeps its collector as it is."""
    widgets = sys.modules.get("PySide6.QtWidgets")
    return widgets is None or widgets.QApplication.instance() is None


def pause_for_start() -> bool:
    """Switch automatic collections off until `resume_after_start`; True if paused (or
    already). Only when the app owns the process and the collector was on."""
    global _paused
    if not _paused and gc.isenabled() and _owns_process():
        gc.disable()
        _paused = True
    return _paused


def resume_after_start() -> None:
    """Automatic collections on again, if `pause_for_start` switched them off."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()
