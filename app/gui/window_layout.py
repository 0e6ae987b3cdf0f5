"""The main window's size and layout: a first start fits its screen, later starts come back
as they were left.

A first start (nothing saved) opened at 1200x780 on any screen: on a 1024x700 desktop the
partner's detail and the toolbar's right end lay past the screen's edge. The default is
now bounded by the room of the screen the window opens on, read when it is first shown
(an unshown window has no screen of its own yet). Geometry, docks, the splitter and the
list's columns are remembered in an ini file (QSettings) and win over the default.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, QSize

from app.paths import config_dir

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

DEFAULT_SIZE = QSize(1200, 780)
# what a window manager draws around the window (title bar, borders): not known before
# the window is mapped, so a room that holds the usual ones (openbox 2x25, Windows 16x39)
FRAME_ROOM = QSize(16, 48)


def window_state(path: Path | None = None) -> QSettings:
    """Where geometry and layout are remembered (an ini file beside the settings)."""
    target = path or config_dir() / "window.ini"
    return QSettings(str(target), QSettings.Format.IniFormat)


def restore_layout(window: MainWindow) -> bool:
    """Put back what was saved; True when a geometry was (the first start has none)."""
    geometry = False
    for key, restore in (
        ("geometry", window.restoreGeometry),
        ("windowState", window.restoreState),
        ("splitter", window.splitter.restoreState),
        ("partnersHeader", window.table.horizontalHeader().restoreState),
    ):
        value = window.state.value(key)
        if isinstance(value, QByteArray | bytes):
            done = restore(QByteArray(value))
            geometry = geometry or (key == "geometry" and bool(done))
    return geometry


def save_layout(window: MainWindow) -> None:
    state = window.state
    state.setValue("geometry", window.saveGeometry())
    state.setValue("windowState", window.saveState())
    state.setValue("splitter", window.splitter.saveState())
    state.setValue("partnersHeader", window.table.horizontalHeader().saveState())
    state.sync()


def first_size(room: QSize, minimum: QSize) -> QSize:
    """The default size, less what the screen's room (less a frame) cannot hold; never
    below the window's minimum."""
    fits = DEFAULT_SIZE.boundedTo(room - FRAME_ROOM)
    return fits.expandedTo(minimum)


def fit_first_show(window: MainWindow) -> None:
    """On the first show with nothing restored: the default size bounded by the room of the
    screen the window opens on (called from showEvent, when the window has its screen).
    Where it goes is the window manager's choice, as before (a window that fits is placed
    on the screen)."""
    screen = window.screen()
    if screen is None:
        return
    size = first_size(screen.availableGeometry().size(), window.minimumSize())
    if size != window.size():
        window.resize(size)
