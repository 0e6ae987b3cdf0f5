"""Unhandled errors become a dialog with a diagnosis: never silent, never a traceback.

The dialog shows the diagnosis message and its suggested fix. An unexpected exception is
shown as the `internal` diagnosis naming only the exception's type (its text could carry a
value). For developers the frames (file, line, function; no message) go to stderr.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.core.diagnosis import Diagnosis, OnboardingError, diagnose

if TYPE_CHECKING:  # the main window shows before asyncio loads (issue 13)
    import asyncio


def diagnosis_for(exc: BaseException) -> Diagnosis:
    if isinstance(exc, OnboardingError):
        return exc.diagnosis
    return diagnose("internal", type(exc).__name__)


class ErrorDialog(QMessageBox):
    """A diagnosis, in plain words, with what to do about it."""

    def __init__(
        self,
        diagnosis: Diagnosis,
        parent: QWidget | None = None,
        title: str = "Something went wrong",
    ) -> None:
        super().__init__(parent)
        self.diagnosis = diagnosis
        self.setWindowTitle(title)
        self.setIcon(
            QMessageBox.Icon.Warning
            if diagnosis.severity == "warning"
            else QMessageBox.Icon.Critical
        )
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(diagnosis.message)
        extra = f"What to do: {diagnosis.hint}"
        if diagnosis.token_confusion:
            extra = "This is a token mix-up between the two sides.\n" + extra
        self.setInformativeText(f"{extra}\n\nCode: {diagnosis.code}")
        self.setStandardButtons(QMessageBox.StandardButton.Close)
        self.setAccessibleName("Error")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)


def show_error(
    diagnosis: Diagnosis, parent: QWidget | None = None, title: str = "Something went wrong"
) -> ErrorDialog:
    """Open (non-blocking) an error dialog; returns it so tests can find and close it."""
    dialog = ErrorDialog(diagnosis, parent or QApplication.activeWindow(), title)
    dialog.open()
    return dialog


def _log_frames(exc_type: type[BaseException], tb: TracebackType | None) -> None:
    """Where it happened (file, line, function) for developers; no message, no source text."""
    frames = "".join(f"  {f.filename}:{f.lineno} in {f.name}\n" for f in traceback.extract_tb(tb))
    sys.stderr.write(f"ocpi-onboard: unhandled {exc_type.__name__}\n{frames}")


Shower = Callable[[Diagnosis], object]


def install_error_handlers(
    loop: asyncio.AbstractEventLoop | None = None, shower: Shower | None = None
) -> None:
    """sys.excepthook and the loop's exception handler -> a diagnosis dialog."""
    show: Shower = shower or show_error

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        _log_frames(exc_type, tb)
        show(diagnosis_for(exc))

    def loop_handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        import asyncio  # loaded with the loop this handler serves

        exc = context.get("exception")
        if exc is None or isinstance(exc, asyncio.CancelledError):
            return
        hook(type(exc), exc, exc.__traceback__)

    sys.excepthook = hook
    if loop is not None:
        loop.set_exception_handler(loop_handler)
