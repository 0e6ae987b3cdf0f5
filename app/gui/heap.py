"""Keep the garbage collector's full passes short while the window runs (issue 13).

A full (oldest-generation) collection walks every container object Python tracks: with
the engine, Qt's bindings and a 2,000-partner list loaded that is ~90,000 objects, and one
pass stopped the event loop for 40-120 ms in the middle of a liveness sweep. Nearly all of
them live as long as the app (modules, classes, the window's widgets), so once the start
is over they go to the permanent generation (`gc.freeze`), after one full pass so that no
garbage goes with them: later full passes walk only what was made since. Reference
counting still frees frozen objects that are dropped; only a reference cycle among them
is never collected, which for what lives as long as the app is fine.

While a liveness sweep runs, the list's records and health are replaced partner by
partner and each full pass walked them all (20-50 ms, 3-4 times a sweep at 2,000
partners). In the app's own process (its heap settled) full passes wait until the sweep
ends and one runs then; young generations are collected as always.

The libraries a session loads after the start would be walked by every later full pass
(two thirds of the pass after a sweep at 2,000 partners: ~330 modules, ~40,000 objects).
Those of the first wizard (the HTTP client, pydantic) are loaded and frozen with the start
(`app.gui.ahead.settle_start`); those of the first registration (aiohttp's server with the
first call in, httpcore, anyio: ~200 modules) load later: when a held pass finds at least
`NEW_MODULES` modules loaded since the last freeze, what it leaves is frozen too.
Modules load once, so this happens a few times a session at most, never once per sweep:
a freeze after every sweep would also take along whatever is alive then and dies later in
a cycle (a wizard, a dialog), and that garbage would pile up sweep after sweep.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

SETTLE_MS = 3000  # after the first paint: the engine's imports and start are done by then
HELD = 1 << 30  # the oldest generation's threshold while full passes wait: never reached
WATCH_MS = 250  # how often a held sweep is checked for its end

NEW_MODULES = 40  # libraries loaded since the last freeze that make a full pass freeze again

_saved: tuple[int, int, int] | None = None
_modules_frozen = 0  # len(sys.modules) at the last freeze


def settle_heap() -> int:
    """Collect, then freeze what is left (nothing unreachable goes to the permanent
    generation); returns how many objects the collector will no longer walk."""
    gc.collect()
    _freeze()
    return gc.get_freeze_count()


def _freeze() -> None:
    global _modules_frozen
    gc.freeze()
    _modules_frozen = len(sys.modules)


def _libraries_loaded_since_freeze() -> bool:
    return len(sys.modules) - _modules_frozen >= NEW_MODULES


def release_heap() -> None:
    """Back to the collector's normal walk (the app is about to exit: its objects are torn
    down in the order Python and Qt expect, not left frozen past the loop's end)."""
    release_full_collections(collect=False)
    gc.unfreeze()


def hold_full_collections() -> bool:
    """No automatic full pass until `release_full_collections`; only in a process whose
    heap the app settled (never in a host such as a test session). True if held."""
    global _saved
    if _saved is None and gc.get_freeze_count():
        _saved = gc.get_threshold()
        gc.set_threshold(_saved[0], _saved[1], HELD)
    return _saved is not None


def release_full_collections(collect: bool = True) -> None:
    """The thresholds as they were; with `collect`, the full pass that waited runs now, and
    what it leaves is frozen if libraries were loaded since the last freeze."""
    global _saved
    if _saved is not None:
        gc.set_threshold(*_saved)
        _saved = None
        if collect:
            gc.collect()
            if _libraries_loaded_since_freeze():
                _freeze()


class FullPassesAfter(QObject):
    """Holds full collections from `hold` until `busy()` turns false (or `release`)."""

    def __init__(self, busy: Callable[[], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._busy = busy
        self._watch = QTimer(self)
        self._watch.setInterval(WATCH_MS)
        self._watch.timeout.connect(self._on_watch_timeout)

    def hold(self) -> None:
        if self._busy() and hold_full_collections():
            self._watch.start()

    def release(self, collect: bool = True) -> None:
        if self._watch.isActive():
            self._watch.stop()
            release_full_collections(collect)

    def _on_watch_timeout(self) -> None:
        if not self._busy():
            self.release()


def settle_heap_later(
    window: QWidget, delay_ms: int = SETTLE_MS, settle_now: Callable[[], object] | None = None
) -> None:
    """`settle_heap` (or `settle_now`, which settles it) once the start has settled, if
    `window` is still open then (the app calls this once, for its main window; a window
    closed before never freezes anything)."""

    def settle() -> None:
        if window.isVisible():
            (settle_now or settle_heap)()

    QTimer.singleShot(delay_ms, window, settle)
