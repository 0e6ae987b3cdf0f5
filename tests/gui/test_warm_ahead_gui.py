"""The window loads what the session's first handshake needs ahead, once its start has
settled (app/gui/ahead.py): the sandbox partner's modules and the first client's TLS
context, on threads, as background work. The first handshake then takes that same context.

Real window, real engine, the real Sender wizard against a real sandbox partner over
loopback; not timed (the stall it saves is measured by benchmarks/ui_latency.py).
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtWidgets import QApplication

from app.core.http import _ssl_context
from app.engine.warm import FIRST_CALL_MODULES
from app.gui.ahead import RESTORE_MS, WARM_MS, warm_first_call_later
from app.gui.controller import AHEAD_WARM
from app.gui.flows import Phase
from tests.gui.conftest import run_on
from tests.gui.helpers import WAIT_MS, run_sender_wizard


def test_the_first_handshake_takes_what_the_window_loaded_ahead(
    qapp: QApplication, qtbot: Any, window: Any, controller: Any
) -> None:
    assert WARM_MS > RESTORE_MS  # after the start's memory figure: it adds resident memory
    engine = run_on(qapp, controller.engine())
    _ssl_context.cache_clear()  # no context built yet in this process
    shown: list[str] = []
    controller.busyChanged.connect(lambda _busy: shown.append(window.busy_label.text()))

    warm_first_call_later(window, 0)
    qtbot.waitUntil(
        lambda: _ssl_context.cache_info().misses == 1 and not controller.busy(AHEAD_WARM),
        timeout=WAIT_MS,
    )
    assert all(name in sys.modules for name in FIRST_CALL_MODULES)
    assert _ssl_context.cache_info().currsize == 1  # the engine's settings' context, built
    assert "Working…" not in shown and window.busy_label.text() == ""  # not the person's work

    wizard = run_sender_wizard(qtbot, window)  # the session's first handshake
    assert wizard.sender_flow.phase == Phase.DONE
    info = _ssl_context.cache_info()
    assert info.misses == 1 and info.hits >= 1  # it took the context built ahead, built none
    assert engine is controller.engine_or_none  # the same engine and settings throughout
