"""The app's loop (app/gui/loop.py): a cancelled timer is gone at once, the rest still runs.

qasync kept a cancelled `call_later` handle (and its Qt timer) until the delay ran out;
a liveness sweep's thousands of cancelled HTTP timeouts then stayed alive for the garbage
collector to walk. These tests check the behaviour, never a duration.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from PySide6.QtWidgets import QApplication

from app.gui.loop import QtLoop

from .conftest import pump_until, run_on


def test_the_fixture_runs_the_apps_loop(qloop: asyncio.AbstractEventLoop) -> None:
    assert isinstance(qloop, QtLoop)


def test_cancelled_timer_is_dropped_and_its_qt_timer_killed(
    qapp: QApplication, qloop: QtLoop
) -> None:
    fired: list[str] = []
    before = dict(qloop._timer.pending)
    handle = qloop.call_later(60, fired.append, "late")
    assert isinstance(handle, asyncio.TimerHandle)
    assert handle in qloop._timer.pending.values()
    timer_id = handle.timer_id  # type: ignore[attr-defined]
    handle.cancel()
    assert handle.cancelled()
    assert handle not in qloop._timer.pending.values()
    assert timer_id not in qloop._timer.pending
    assert qloop._timer.pending == before
    assert handle.timer_id == 0  # type: ignore[attr-defined]
    handle.cancel()  # a second cancel is harmless
    assert fired == []


def test_timers_fire_in_order_and_cancelled_ones_never(qapp: QApplication, qloop: QtLoop) -> None:
    fired: list[str] = []
    qloop.call_later(0.03, fired.append, "second")
    qloop.call_at(qloop.time() + 0.01, fired.append, "first")
    dropped = qloop.call_later(0.02, fired.append, "cancelled")
    qloop.call_soon(fired.append, "soon")
    dropped.cancel()
    assert pump_until(qapp, lambda: len(fired) >= 3, 5)
    pump_until(qapp, lambda: False, 0.05)
    assert fired == ["soon", "first", "second"]
    assert dropped not in qloop._timer.pending.values()


def test_when_is_the_loops_clock(qloop: QtLoop) -> None:
    now = qloop.time()
    handle = qloop.call_later(5, lambda: None)
    assert now + 5 <= handle.when() <= qloop.time() + 5
    handle.cancel()


def test_timeouts_and_sleeps_on_the_loop(qapp: QApplication, qloop: QtLoop) -> None:
    async def body() -> str:
        await asyncio.sleep(0.01)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.sleep(30), 0.02)
        return await asyncio.wait_for(asyncio.sleep(0.01, "done"), 30)

    waiting = len(qloop._timer.pending)
    assert run_on(qapp, body()) == "done"
    # the 30 s sleep and the 30 s timeout were cancelled: nothing of theirs is left waiting
    assert not any(
        h.when() > qloop.time() + 10
        for h in qloop._timer.pending.values()
        if isinstance(h, asyncio.TimerHandle)
    )
    assert len(qloop._timer.pending) <= waiting + 1


def test_cancel_from_another_thread_leaves_the_timer_to_its_thread(
    qapp: QApplication, qloop: QtLoop
) -> None:
    fired: list[int] = []
    handle = qloop.call_later(0.01, fired.append, 1)
    worker = threading.Thread(target=handle.cancel)
    worker.start()
    worker.join()
    assert handle.cancelled()
    pump_until(qapp, lambda: handle not in qloop._timer.pending.values(), 5)
    assert handle not in qloop._timer.pending.values()  # dropped when its timer fired
    assert fired == []


def test_coroutines_are_refused_as_callbacks(qloop: QtLoop) -> None:
    async def coro() -> None:
        return None

    with pytest.raises(TypeError):
        qloop.call_later(0, coro)
    with pytest.raises(TypeError):
        qloop.call_soon("not callable")  # type: ignore[arg-type]
