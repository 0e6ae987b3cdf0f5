"""What the UI thread did in a stall, for `ui_latency.py --why MS`.

Two views of each interval whose UI-thread CPU is over MS:
- the steps in it, in order: every asyncio callback the app's loop ran (a task's step is
  named by the coroutine it was awaiting in), the windows' repaints (`UpdateRequest`) and
  the main window's touched-rows refresh and the detail's refresh (its read's turn and its
  draw's), each with its thread CPU and its start within the interval. What is not a step there is Qt's own C++ between them (layout, posted
  events) or a callback this log does not wrap.
- a sampling profile: a thread reads the main thread's Python stack every millisecond
  (`sys._current_frames()`) with the main thread's CPU clock, and the interval's CPU is
  told by the innermost app frame (Qt's C++ runs with the GIL released under `exec`).

Both patch classes of the app in this process only, and cost the UI thread some CPU of
their own (a few per cent): compare figures taken without `--why`.
"""

from __future__ import annotations

import collections
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

STEP_MS = 0.3  # steps shorter than this are left out of a report


def _where(frame: FrameType | None, depth: int = 40) -> tuple[str, ...]:
    """The stack as 'app/file.py:func:line' strings, innermost first."""
    out: list[str] = []
    while frame is not None and len(out) < depth:
        code = frame.f_code
        name = code.co_filename
        short = name.rsplit("/site-packages/", 1)[-1]
        for marker in ("/app/", "/benchmarks/"):
            if marker in name:
                short = marker.strip("/") + "/" + name.rsplit(marker, 1)[-1]
                break
        out.append(f"{short}:{code.co_name}:{frame.f_lineno}")
        frame = frame.f_back
    return tuple(out)


def _describe(handle: Any) -> str:
    """An asyncio handle's callback; a task's step by the coroutine it awaited last."""
    callback = getattr(handle, "_callback", None)
    owner = getattr(callback, "__self__", None)
    if owner is not None and hasattr(owner, "get_coro"):
        coro = owner.get_coro()
        inner = coro
        while hasattr(getattr(inner, "cr_await", None), "cr_frame"):
            inner = inner.cr_await
        return f"task {getattr(coro, '__qualname__', '?')} @{getattr(inner, '__qualname__', '?')}"
    return str(getattr(callback, "__qualname__", repr(callback)))


class StallSampler:
    """Steps and stack samples of the main thread, kept for the last few seconds."""

    def __init__(self, period: float = 0.001, keep: int = 20000) -> None:
        self.period = period
        self.samples: collections.deque[tuple[float, float, tuple[str, ...]]] = collections.deque(
            maxlen=keep
        )
        self.steps: collections.deque[tuple[float, float, str]] = collections.deque(maxlen=keep)
        self.reports: list[str] = []
        main = threading.main_thread().ident or 0
        self._main = main
        self._main_clock = time.pthread_getcpuclockid(main)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-sampler", daemon=True)
        self._old_switch = sys.getswitchinterval()
        self._depth = 0

    def start(self) -> None:
        self._patch()
        sys.setswitchinterval(0.0005)  # let the sampler in while the UI thread runs Python
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1)
        sys.setswitchinterval(self._old_switch)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            frame = sys._current_frames().get(self._main)
            cpu = time.clock_gettime(self._main_clock)
            self.samples.append((time.perf_counter(), cpu, _where(frame)))

    # ---- steps -------------------------------------------------------------------------
    def _timed(self, name: Callable[..., str], run: Callable[[], Any], *args: Any) -> Any:
        start, cpu = time.perf_counter(), time.thread_time()
        self._depth += 1
        try:
            return run()
        finally:
            self._depth -= 1
            if self._depth == 0:
                self.steps.append((start, (time.thread_time() - cpu) * 1000, name(*args)))

    def _patch(self) -> None:
        from PySide6.QtCore import QEvent
        from PySide6.QtWidgets import QMainWindow, QWizard

        from app.gui import loop, main_window, partner_view, wizard_sender

        sampler = self
        timer_event = loop.LoopTimers.timerEvent

        def loop_timer_event(timers: Any, event: Any) -> None:
            handle = timers.pending.get(event.timerId())
            sampler._timed(lambda: "loop: " + _describe(handle), lambda: timer_event(timers, event))

        loop.LoopTimers.timerEvent = loop_timer_event  # type: ignore[assignment]

        def wrap(cls: Any, method: str) -> None:
            original = getattr(cls, method)

            def timed(obj: Any, *args: Any, **kwargs: Any) -> Any:
                return sampler._timed(
                    lambda: f"{cls.__name__}.{method}", lambda: original(obj, *args, **kwargs)
                )

            setattr(cls, method, timed)

        wrap(main_window.MainWindow, "_refresh_touched")
        wrap(main_window.MainWindow, "_on_wizard_partnerReady")
        wrap(partner_view.PartnerView, "refresh")
        # the detail's background refresh: its read's turn and its draw's (a build that
        # reads and draws in one turn has no draw timer, and its refresh is named above)
        for method in ("_on_refresh_timer_timeout", "_on_draw_timer_timeout"):
            if hasattr(partner_view.PartnerView, method):
                wrap(partner_view.PartnerView, method)

        watched = (QEvent.Type.UpdateRequest, QEvent.Type.LayoutRequest)

        def repaints(cls: Any, base: Any) -> None:
            def event(widget: Any, e: Any) -> bool:
                if e.type() not in watched:
                    return bool(base.event(widget, e))
                return bool(
                    sampler._timed(
                        lambda: f"{cls.__name__} {e.type().name}", lambda: base.event(widget, e)
                    )
                )

            cls.event = event

        repaints(main_window.MainWindow, QMainWindow)
        repaints(wizard_sender.SenderWizard, QWizard)

    # ---- reports -------------------------------------------------------------------------
    def explain(self, start: float, end: float, label: str, late_ms: float, busy: float) -> None:
        """Note the steps and the samples of the interval [start, end]."""
        steps = [s for s in list(self.steps) if start <= s[0] <= end]
        lines = [
            f"{label}: late {late_ms:.1f} ms, UI thread CPU {busy:.1f} ms;"
            f" the steps in it ({sum(c for _t, c, _n in steps):.1f} ms):"
        ]
        for at, cpu, name in steps:
            if cpu >= STEP_MS:
                lines.append(f"    +{(at - start) * 1000:5.1f} ms {cpu:5.1f} ms  {name}")
        everything = list(self.samples)
        window = [
            (cpu - everything[i - 1][1], stack)
            for i, (t, cpu, stack) in enumerate(everything)
            if i and start <= t <= end
        ]
        by_leaf: dict[str, float] = collections.defaultdict(float)
        for cpu, stack in window:
            frames = [f for f in stack if f.startswith("app/")]
            by_leaf[frames[0] if frames else "(Qt's C++ or the benchmark)"] += cpu * 1000
        lines.append(f"  sampled ({len(window)} samples), CPU by innermost app frame:")
        for leaf, ms in sorted(by_leaf.items(), key=lambda item: -item[1])[:5]:
            if ms >= 0.5:
                lines.append(f"    {ms:5.1f} ms  {leaf}")
        self.reports.append("\n".join(lines))
