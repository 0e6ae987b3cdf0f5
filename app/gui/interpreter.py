"""The interpreter lock, handed back to the window's thread sooner (issue 13, UI stalls).

Work ahead runs on threads beside the window's loop: the first call's modules imported and
its TLS context built (app/engine/warm.py), aiohttp's server imported when the first
connection waits. A thread running Python keeps the lock until the switch interval has
passed since the window's thread asked for it: 5 ms by default, a third of a frame, and a
turn of the loop that asks several times (each SQLite step and each Qt call that lets the
lock go) waits each time. While the warm-up's imports ran, the window's thread waited
5-10 ms 10-20 times (`/work/wt/notes/s25-coord/gil_probe.py`, 2 cores); at 1 ms, once or
twice 4-5 ms. The imports' own time did not change beyond noise.
"""

from __future__ import annotations

import sys

WINDOW_SWITCH_S = 0.001  # the switch interval while the window runs (CPython's default 0.005)


def favour_the_window() -> None:
    """Set the switch interval for the app's own process (a host, such as a test session,
    keeps its own: the app calls this only when it made the QApplication)."""
    sys.setswitchinterval(WINDOW_SWITCH_S)
