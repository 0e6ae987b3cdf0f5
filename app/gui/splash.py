"""A window within a blink of the double-click, while the engine and the vault load.

The main window needs the engine (aiohttp, pydantic) and the unlocked vault (scrypt):
together about half a second. The splash needs only QtWidgets, so the person sees the app
respond at once; it closes when the main window or the passphrase dialog appears.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QVBoxLayout, QWidget


class StartupSplash(QFrame):
    def __init__(self, icon: QIcon) -> None:
        super().__init__(None, Qt.WindowType.SplashScreen | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("startupSplash")
        self.setAccessibleName("OCPI Onboard is starting")
        self.setWindowTitle("OCPI Onboard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(36, 28, 36, 24)
        layout.setSpacing(10)
        picture = QLabel()
        picture.setPixmap(icon.pixmap(72, 72))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # plain text in a bold 15 pt font: the same look as "<b style='font-size:15pt'>",
        # without loading Qt's rich-text engine first thing (~7 ms of the start, issue 13)
        title = QLabel("OCPI Onboard")
        font = title.font()
        font.setBold(True)
        font.setPointSize(15)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status = QLabel("Opening your credentials vault…")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for widget in (picture, title, self.status):
            layout.addWidget(widget)
        self.resize(320, 200)

    def show_centered(self) -> None:
        screen = QApplication.primaryScreen()
        if screen is not None:
            geometry = screen.availableGeometry()
            self.move(geometry.center() - self.rect().center())
        self.show()
        self.raise_()
        QApplication.processEvents()

    _finished = False

    def finish(self, window: QWidget | None = None) -> None:
        """Close once; later calls (the prompt closed it, then the window appears) do nothing.

        The flag lives on the Python side: after deleteLater the C++ object may be gone,
        and asking it anything (isVisible) would raise RuntimeError.
        """
        if self._finished:
            return
        self._finished = True
        if self.isVisible():
            self.close()
        self.deleteLater()
