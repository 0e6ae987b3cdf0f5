"""What the window builds ahead once the start has settled (issue 13): the partner's
detail, then the session's first Sender wizard.

The detail is not built to show the window (nothing is selected then); it is built after
the engine's start and before the heap settles (`heap.SETTLE_MS`: it lives as long as the
window, so it is frozen with the rest), so the first partner a person selects shows
without building it. A selection before then builds it at once.

Every later wizard is built ahead when the previous one closes (`SenderWizard.ready`);
the first of a session was built on open, 20-30 ms with the UI stopped. It is built a
step per turn of the loop after the start's own work is over: after the heap is settled
(`heap.SETTLE_MS`, so the wizard is not frozen with what lives as long as the app; a
closed wizard must stay collectable; its modules are, `settle_start`) and after the
start's memory figure (2 s after the window is usable) has been taken.

Right after the heap settles, the first call's code is loaded on threads (the sandbox
partner's modules, ~130 ms of imports; httpcore's backend; the OCPI models' validators:
on the loop's thread mid-handshake they stopped the window 180-280 ms at 2,000
partners), then our endpoint's registered partners' tokens are restored, a slice of
partners per turn of the loop (`Controller.restore_ahead`: at the first call in, in one
piece, it stopped the loop ~90 ms at 2,000 partners), then the heap is settled again
(`start_settling`). Loaded after the last freeze, those ~210 modules (aiohttp's server,
httpcore, anyio, h11, attr, yarl) and the token book (~35k objects) were walked by the
first full collection after a liveness sweep (24-45 ms with the UI stopped); frozen with
the start, that pass walks only what the sweep made. A restore still pending at
`RESTORE_MS` (an engine started late) starts then. The first client's TLS context
(certifi's CA store, ~80 ms) is built on a thread at `WARM_MS` (`Controller.warm_ahead`).
All of it adds resident memory: it comes after the start's memory figure.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from app.gui.heap import SETTLE_MS, settle_heap

if TYPE_CHECKING:
    from app.gui.controller import Controller
    from app.gui.main_window import MainWindow

AFTER_MS = SETTLE_MS + 1000
RESTORE_MS = AFTER_MS + 1000  # after the start's memory figure: it loads the cipher (~8 MiB)
DETAIL_MS = SETTLE_MS - 500
WARM_MS = RESTORE_MS + 1000  # after the memory figure; after the restore began, not beside it


def settle_start() -> int:
    """Load the first Sender wizard's modules, then settle the heap (collect, freeze).

    The wizard built ahead at `AFTER_MS` loads them in every session (the HTTP client,
    pydantic and the OCPI models, the pages: ~120 modules); loaded here, a second earlier,
    they are frozen with the rest of the start instead of being walked by every later full
    pass (the one after a liveness sweep among them). The wizard itself is built after the
    freeze: a closed wizard must stay collectable. The verify's checks too (6 modules,
    ~0.5 MiB): the first Verify of a session imported them on the event loop's thread,
    14-21 ms in the run's first step. Returns the frozen count."""
    import app.engine.verify
    import app.gui.wizard_sender  # noqa: F401

    return settle_heap()


_settling: set[asyncio.Task[None]] = set()  # held: the loop keeps only weak references


async def settle_first_call(
    controller: Controller | None = None, still_open: Callable[[], bool] = lambda: True
) -> int:
    """Load the first call's code on threads (`load_first_call_code`; the loop keeps
    turning), restore `controller`'s token book a slice per turn (`restore_ahead`), then
    settle the heap again: this second collection walks only what was made since the
    first settle (~35k objects, ~20 ms), where one settle after all of it walked the
    start's heap too in one stop (~60 ms). Both live as long as the app: loaded after the
    last freeze, the first full pass after a liveness sweep walked them (24-45 ms), and
    with the book left unfrozen every sweep's pass would. What fails here is not reported:
    it fails again at its first use, which says why. Nothing is settled if `still_open()`
    turns false meanwhile (the window closed). Returns the frozen count."""
    from app.engine.warm import load_first_call_code

    with contextlib.suppress(Exception):  # reported by the first handshake
        await load_first_call_code()
    restoring = controller.restore_ahead() if controller is not None and still_open() else None
    if restoring is not None:
        await asyncio.wait([restoring])  # however it ended: a use may have done the rest
    return settle_heap() if still_open() else 0


async def settle_start_and_first_call(window: MainWindow) -> None:
    """Settle the heap with the first wizard's modules (`settle_start`), then with the
    first call's code and the restored token book (`settle_first_call`), then build the first wizard ahead a second
    later (after the last freeze: a closed wizard must stay collectable). Nothing more is
    settled or built once the window has closed."""
    settle_start()
    await settle_first_call(window.controller, window.isVisible)
    if window.isVisible():
        build_first_wizard_later(window, AFTER_MS - SETTLE_MS)


def start_settling(window: MainWindow) -> asyncio.Task[None]:
    """Start `settle_start_and_first_call` for `window` on the loop: the app's settle
    (`heap.settle_heap_later`, once the start's memory figure is taken) calls this."""
    task = asyncio.ensure_future(settle_start_and_first_call(window))
    _settling.add(task)
    task.add_done_callback(_settling.discard)
    return task


def build_detail_later(window: MainWindow, delay_ms: int = DETAIL_MS) -> None:
    """Build the partner's detail `delay_ms` after now, unless the window has closed or
    a selection built it by then."""

    def build() -> None:
        if window.isVisible():
            window.partner_view.build_detail()

    QTimer.singleShot(delay_ms, window, build)


def build_first_wizard_later(window: MainWindow, delay_ms: int = AFTER_MS) -> None:
    """Build the first Sender wizard ahead `delay_ms` after now, unless the window has
    closed or a wizard was opened by then (the next is then built when it closes)."""

    def build() -> None:
        from app.gui.wizard_sender import SenderWizard

        if window.isVisible() and window.sender_wizard is None:
            SenderWizard.build_ahead(window.controller, window.clipboard, window)

    QTimer.singleShot(delay_ms, window, build)


def restore_tokens_later(window: MainWindow, delay_ms: int = RESTORE_MS) -> None:
    """Restore our endpoint's registered partners ahead `delay_ms` after now, unless the
    window has closed by then (a call in or an operation before then restores them) or
    its settle is still at work (`settle_first_call` restores them after the first call's
    imports: the restore never runs beside them, nor is it cancelled and started again).
    The app's timer is the fallback for an engine that was not started at that point."""

    def restore() -> None:
        if window.isVisible() and not _settling:  # a settle still at work restores them
            window.controller.restore_ahead()

    QTimer.singleShot(delay_ms, window, restore)


def warm_first_call_later(window: MainWindow, delay_ms: int = WARM_MS) -> None:
    """Load what the first handshake loads `delay_ms` after now, on threads, unless the
    window has closed by then (a handshake before then loads it as it goes)."""

    def warm() -> None:
        if window.isVisible():
            window.controller.warm_ahead()

    QTimer.singleShot(delay_ms, window, warm)
