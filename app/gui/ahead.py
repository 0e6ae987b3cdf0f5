"""The session's first Sender wizard, built ahead once the start has settled (issue 13).

Every later wizard is built ahead when the previous one closes (`SenderWizard.ready`);
the first of a session was built on open, 20-30 ms with the UI stopped. It is built a
step per turn of the loop after the start's own work is over: after the heap is settled
(`heap.SETTLE_MS`, so the wizard is not frozen with what lives as long as the app; a
closed wizard must stay collectable) and after the start's memory figure (2 s after the
window is usable) has been taken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from app.gui.heap import SETTLE_MS

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

AFTER_MS = SETTLE_MS + 1000


def build_first_wizard_later(window: MainWindow, delay_ms: int = AFTER_MS) -> None:
    """Build the first Sender wizard ahead `delay_ms` after now, unless the window has
    closed or a wizard was opened by then (the next is then built when it closes)."""

    def build() -> None:
        from app.gui.wizard_sender import SenderWizard

        if window.isVisible() and window.sender_wizard is None:
            SenderWizard.build_ahead(window.controller, window.clipboard, window)

    QTimer.singleShot(delay_ms, window, build)
