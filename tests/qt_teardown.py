"""Let Qt's leftovers go while the QApplication still lives, before the interpreter exits.

A whole session leaves Qt wrappers in reference cycles (closed windows, finished loops,
their timers). Left to the interpreter's finalization they are torn down after the
QApplication and in no order, which has crashed the pytest process at exit (rc 139,
"shared QObject was deleted directly") after every test had passed. Collecting them here,
with deferred deletes delivered between rounds, tears them down while Qt is whole. A crash
that still happens then prints where it happened: faulthandler is re-armed for the exit.
"""

from __future__ import annotations

import faulthandler
import gc
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
    if not faulthandler.is_enabled():
        faulthandler.enable(file=sys.__stderr__ or sys.stderr, all_threads=True)
