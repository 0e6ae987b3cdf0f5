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

Our endpoint's registered partners' tokens are restored ahead a second later, a slice of
partners per turn of the loop (`Controller.restore_ahead`): at the first call in, in one
piece, it stopped the loop ~90 ms at 2,000 partners. It loads the vault's cipher, so it
waits for the start's memory figure too.

What the session's first handshake loads (the sandbox partner's modules, ~130 ms of
imports; the first client's TLS context, ~80 ms) is loaded on threads a second later
(`Controller.warm_ahead`): on the loop's thread mid-handshake it stopped the window
180-280 ms at 2,000 partners. It adds resident memory, so it waits for that figure too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from app.gui.heap import SETTLE_MS, settle_heap

if TYPE_CHECKING:
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
    window has closed by then (a call in or an operation before then restores them)."""

    def restore() -> None:
        if window.isVisible():
            window.controller.restore_ahead()

    QTimer.singleShot(delay_ms, window, restore)


def warm_first_call_later(window: MainWindow, delay_ms: int = WARM_MS) -> None:
    """Load what the first handshake loads `delay_ms` after now, on threads, unless the
    window has closed by then (a handshake before then loads it as it goes)."""

    def warm() -> None:
        if window.isVisible():
            window.controller.warm_ahead()

    QTimer.singleShot(delay_ms, window, warm)
