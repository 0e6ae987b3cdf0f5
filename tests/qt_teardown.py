"""A test session that loaded Qt ends without the interpreter's teardown of Qt's wrappers.

A whole session leaves Qt wrappers in reference cycles (closed windows, finished loops,
their timers). Left to the interpreter's finalization they are torn down after the
QApplication and in no order, which has crashed the pytest process at exit (rc 139,
"shared QObject was deleted directly", "<no Python frame>") after every test had passed:
1 run in 2 of tests/gui. Collecting them first (deferred deletes delivered, gc rounds) did
not stop it. So once the results are reported and the exit status is known, a session that
loaded Qt leaves without finalizing (`leave_with`), with that status. The app's own exit is
not covered by this: tests start the real app process and check its exit code.
"""

from __future__ import annotations

import os
import sys


def leave_with(status: int) -> None:
    """End a session that loaded Qt now, with `status`, skipping the interpreter's teardown
    of Qt's wrappers; one that never loaded Qt returns and finalizes as usual."""
    if "PySide6.QtWidgets" not in sys.modules:
        return
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            stream.flush()
    os._exit(status)
