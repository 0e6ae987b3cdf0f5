"""Copying a token: to the clipboard on explicit request, cleared again after 30 s.

The clipboard is cleared only if it still holds our value (the user may have copied
something else meanwhile). Only a hash of the value is kept while the timer runs.
"""

from __future__ import annotations

import hashlib

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication

CLEAR_AFTER_MS = 30_000


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class SecretClipboard(QObject):
    """Copies secrets with a timed clear; copies plain text (URLs) without one."""

    copied = Signal(int)  # milliseconds until the clear
    cleared = Signal()

    def __init__(self, clear_after_ms: int = CLEAR_AFTER_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clear_after_ms = clear_after_ms
        self._held: bytes | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer_timeout)
        app = QGuiApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.clear_now)

    @staticmethod
    def _clipboard() -> QClipboard:
        return QGuiApplication.clipboard()

    def copy_secret(self, value: str) -> None:
        self._clipboard().setText(value)
        self._held = _digest(value)
        self._timer.start(self.clear_after_ms)
        self.copied.emit(self.clear_after_ms)

    def copy_text(self, text: str) -> None:
        """Not a secret (a URL, a fingerprint): copied and left there."""
        self._clipboard().setText(text)

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def clear_now(self) -> None:
        self._timer.stop()
        self._on_timer_timeout()

    def _on_timer_timeout(self) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        clipboard = self._clipboard()
        if _digest(clipboard.text()) == held:
            clipboard.clear()
        self.cleared.emit()
