"""The window restores our endpoint's registered partners ahead, once its start has
settled (app/gui/ahead.py), as background work: not shown as the person's "Working…".

Real window, real engine and endpoint on a real vault file; not timed (the slices' cost is
measured by benchmarks/ui_latency.py).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication

from app.gui.ahead import AFTER_MS, RESTORE_MS, restore_tokens_later, warm_first_call_later
from app.gui.controller import AHEAD_RESTORE, AHEAD_WARM
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


def test_the_warm_up_starts_once_the_restore_ahead_has_ended(
    qapp: QApplication, qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    """Both asked on the same turn (a slow start, or the benchmark): the warm-up's imports
    on their thread would take the interpreter lock at each of the restore's SQLite steps
    on the loop's thread, so the warm-up waits for the restore's end."""
    _partners(vault, 250)
    engine = run_on(qapp, controller.engine())
    assert engine.tokens.pending
    restoring_when_warmed: list[bool] = []
    warm_up = engine.warm_up

    async def observed_warm_up() -> bool:  # the real warm-up, noting whether restore ran
        restoring_when_warmed.append(engine.tokens.pending or controller.busy(AHEAD_RESTORE))
        return await warm_up()

    engine.warm_up = observed_warm_up
    restore_tokens_later(window, 0)
    warm_first_call_later(window, 0)
    qtbot.waitUntil(
        lambda: bool(restoring_when_warmed) and not controller.busy(AHEAD_WARM), timeout=20000
    )
    assert restoring_when_warmed == [False]
    assert not engine.tokens.pending and _accepted(engine, _their_b(249))
