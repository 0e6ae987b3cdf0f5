"""The app's asyncio loop on Qt: qasync's, with timers that end when they are cancelled.

qasync runs every `call_later` on a Qt timer and keeps its handle until the timer fires,
even when the handle was cancelled long before. Every HTTP request sets a timeout this way
and cancels it when the answer comes, so a 2,000-partner liveness sweep left ~10,000
cancelled handles (each with its context) waiting out their delays: live objects that
every full garbage collection walked, mid-sweep. Here `call_later`/`call_at` return an
`asyncio.TimerHandle` whose cancel kills its Qt timer and lets the handle go at once.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable
from typing import Any

import qasync
from PySide6.QtCore import QObject, QThread, QTimerEvent

_SLOW_S = 0.1  # asyncio's slow_callback_duration default, for the debug warning


class _QtTimerHandle(asyncio.TimerHandle):
    """A TimerHandle that knows its Qt timer (the loop kills it on cancel)."""

    __slots__ = ("timer_id",)

    def __init__(
        self,
        when: float,
        callback: Callable[..., object],
        args: tuple[Any, ...],
        loop: asyncio.AbstractEventLoop,
        context: contextvars.Context | None,
    ) -> None:
        super().__init__(when, callback, args, loop, context=context)
        self.timer_id = 0


class LoopTimers(QObject):
    """One Qt timer per pending callback; `drop` kills the timer of a cancelled one."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[int, asyncio.Handle] = {}
        self._stopped = False
        self._debug = False

    def add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        timer_id = self.startTimer(int(max(0.0, delay) * 1000))  # as qasync rounds
        self.pending[timer_id] = handle
        if isinstance(handle, _QtTimerHandle):
            handle.timer_id = timer_id
        return handle

    def drop(self, handle: _QtTimerHandle) -> None:
        """Kill a cancelled handle's timer (only from the thread the timers live on)."""
        if handle.timer_id and QThread.currentThread() is self.thread():
            if self.pending.get(handle.timer_id) is handle:
                del self.pending[handle.timer_id]
                self.killTimer(handle.timer_id)
            handle.timer_id = 0

    def timerEvent(self, event: QTimerEvent) -> None:
        timer_id = event.timerId()
        self.killTimer(timer_id)
        handle = self.pending.pop(timer_id, None)
        if handle is None or self._stopped or handle.cancelled():
            return
        if isinstance(handle, _QtTimerHandle):
            handle.timer_id = 0
        if not self._debug:
            handle._run()
            return
        loop = asyncio.get_event_loop()
        loop._current_handle = handle  # type: ignore[attr-defined]
        try:
            started = time.monotonic()
            handle._run()
            took = time.monotonic() - started
            if took >= getattr(loop, "slow_callback_duration", _SLOW_S):
                logging.getLogger("asyncio").warning("Executing %s took %.3f seconds", handle, took)
        finally:
            loop._current_handle = None  # type: ignore[attr-defined]

    def stop(self) -> None:
        self._stopped = True

    def set_debug(self, enabled: bool) -> None:
        self._debug = enabled


class QtLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync's QEventLoop whose cancelled timers stop their Qt timer at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        timers = LoopTimers()
        timers.set_debug(self.get_debug())
        self._timer = timers

    def call_later(
        self,
        delay: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(
        self,
        when: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        _check_callback(callback)
        handle = _QtTimerHandle(when, callback, args, self, context)
        self._timer.add_callback(handle, when - self.time())
        return handle

    def call_soon(
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        _check_callback(callback)
        return self._timer.add_callback(asyncio.Handle(callback, args, self, context=context))

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        if isinstance(handle, _QtTimerHandle):
            self._timer.drop(handle)


def _check_callback(callback: object) -> None:
    """The same checks (and errors) as qasync's call_later."""
    if asyncio.iscoroutinefunction(callback):
        raise TypeError("coroutines cannot be used with call_later")
    if not callable(callback):
        raise TypeError(f"callback must be callable: {type(callback).__name__}")
