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


def test_the_second_settle_freezes_the_restored_book_and_the_first_calls_code(
    qapp: QApplication, qtbot: Any, window: Any, controller: Any, vault: Vault, monkeypatch: Any
) -> None:
    """Both live as long as the app: settled (frozen) after they are in, the full pass
    after a sweep no longer walks them. The freeze itself is checked in a child process
    (tests/gui/test_heap.py): freezing this test session would freeze earlier tests'
    garbage; here the settle records what is there when it runs."""
    import sys

    from app.engine.warm import FIRST_CALL_MODULES
    from app.gui import ahead

    _partners(vault, 120)
    engine = run_on(qapp, controller.engine())
    assert engine.tokens.pending
    seen: list[tuple[bool, bool]] = []

    def settle() -> int:
        loaded = all(name in sys.modules for name in FIRST_CALL_MODULES)
        seen.append((loaded, not engine.tokens.pending))
        return 1

    monkeypatch.setattr(ahead, "settle_heap", settle)
    restore = controller.restore_ahead
    loaded_at_restore: list[bool] = []

    def restore_ahead() -> Any:
        loaded_at_restore.append(all(name in sys.modules for name in FIRST_CALL_MODULES))
        return restore()

    monkeypatch.setattr(controller, "restore_ahead", restore_ahead)
    assert run_on(qapp, ahead.settle_first_call(controller)) == 1
    assert loaded_at_restore == [True]  # the restore never runs beside the imports
    assert seen == [(True, True)]  # settled after the code loaded and the book restored
    assert _accepted(engine, _their_b(0)) and _accepted(engine, _their_b(119))
    assert window.busy_label.text() == ""  # background work: not the person's


def test_a_window_closed_before_the_second_settle_restores_and_freezes_nothing(
    qapp: QApplication, window: Any, controller: Any, vault: Vault, monkeypatch: Any
) -> None:
    from app.gui import ahead

    _partners(vault, 20)
    engine = run_on(qapp, controller.engine())
    monkeypatch.setattr(ahead, "settle_heap", lambda: 1)
    assert run_on(qapp, ahead.settle_first_call(controller, lambda: False)) == 0
    assert engine.tokens.pending  # left to the first use, as before the window settled


def test_the_restore_timer_leaves_the_book_to_a_settle_at_work(
    qapp: QApplication, qtbot: Any, window: Any, controller: Any, vault: Vault, monkeypatch: Any
) -> None:
    """The settle restores the book after the first call's imports (never beside them);
    the app's timer is only the fallback: it neither starts a second restore nor cancels
    the settle's."""
    from app.gui import ahead

    _partners(vault, 30)
    engine = run_on(qapp, controller.engine())
    monkeypatch.setattr(ahead, "_settling", {"a settle at work"})
    restore_tokens_later(window, 0)
    qtbot.wait(50)
    assert engine.tokens.pending and not controller.busy("ahead:restore")
    monkeypatch.setattr(ahead, "_settling", set())  # the settle ended without a restore
    restore_tokens_later(window, 0)
    qtbot.waitUntil(lambda: not engine.tokens.pending, timeout=20000)
    assert _accepted(engine, _their_b(29))
