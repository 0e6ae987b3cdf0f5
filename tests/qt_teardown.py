"""Let Qt's leftovers go while the QApplication still lives, before the interpreter exits.

A whole session leaves Qt wrappers in reference cycles (closed windows, finished loops,
their timers). Left to the interpreter's finalization they are torn down after the
QApplication and in no order, which has crashed the pytest process at exit (rc 139,
"shared QObject was deleted directly") after every test had passed. `settle_qt` collects
them while Qt is whole, with deferred deletes delivered between rounds. That alone did not
stop it (1 crash in 2 runs of tests/gui, "<no Python frame>": finalization itself), so once
the results are reported and the exit status is known, a session that loaded Qt leaves
without finalizing (`leave_with`), with that status. The app's own exit is not covered by
this: tests start the real app process and check its exit code.
"""

from __future__ import annotations

import gc
import os
import sys


def settle_qt() -> None:
    """Deliver pending deletes and collect cyclic garbage, a few rounds, if Qt is loaded."""
    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtCore import QCoreApplication, QEvent

    app = QCoreApplication.instance()
    if app is None:
        return
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
        if gc.collect() == 0:
            break


def leave_with(status: int) -> None:
    """End a session that loaded Qt now, with `status`, skipping the interpreter's teardown
    of Qt's wrappers; one that never loaded Qt returns and finalizes as usual."""
    if "PySide6.QtWidgets" not in sys.modules:
        return
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            stream.flush()
    os._exit(status)
