"""The window restores our endpoint's registered partners ahead, once its start has
settled (app/gui/ahead.py), as background work: not shown as the person's "Working…".

Real window, real engine and endpoint on a real vault file; not timed (the slices' cost is
measured by benchmarks/ui_latency.py).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication

from app.gui.ahead import AFTER_MS, RESTORE_MS, restore_tokens_later
from app.vault import Vault
from tests.engine.test_restore_ahead import _accepted, _partners, _their_b
from tests.gui.conftest import run_on


def test_the_window_restores_its_partners_ahead_without_showing_busy(
    qapp: QApplication, qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    assert RESTORE_MS > AFTER_MS  # after the start's memory figure: it loads the cipher
    _partners(vault, 250)
    engine = run_on(qapp, controller.engine())
    assert engine.tokens.pending  # nothing restored by the start
    shown: list[str] = []
    controller.busyChanged.connect(lambda _busy: shown.append(window.busy_label.text()))
    restore_tokens_later(window, 0)
    qtbot.waitUntil(lambda: not controller.busy("ahead:restore") and bool(shown), timeout=20000)
    assert not engine.tokens.pending
    assert _accepted(engine, _their_b(0)) and _accepted(engine, _their_b(249))
    assert "Working…" not in shown and window.busy_label.text() == ""
