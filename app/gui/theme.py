"""Colours, fonts and the stylesheet: one palette per colour scheme, following the system.

Status and level colours are picked for the current scheme (light or dark) so that they
keep their contrast; the stylesheet (resources/style.qss) takes them as @placeholders.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from app.paths import resource, resources_dir


@dataclass(frozen=True)
class Colours:
    accent: str
    accent_text: str
    ok: str
    warn: str
    error: str
    info: str
    muted: str
    border: str
    card: str
    subtle: str
    confusion_bg: str
    confusion_fg: str
    warn_bg: str
    error_bg: str
    ok_bg: str
    info_bg: str


LIGHT = Colours(
    accent="#2563eb",
    accent_text="#ffffff",
    ok="#15803d",
    warn="#b45309",
    error="#b91c1c",
    info="#1d4ed8",
    muted="#5b6472",
    border="#d5dbe4",
    card="#ffffff",
    subtle="#f3f5f9",
    confusion_bg="#f1e6ff",
    confusion_fg="#5b1f9a",
    warn_bg="#fff6e0",
    error_bg="#fdecec",
    ok_bg="#e8f6ec",
    info_bg="#e8f0fe",
)
DARK = Colours(
    accent="#5b9cf5",
    accent_text="#0b1220",
    ok="#4ade80",
    warn="#fbbf24",
    error="#f87171",
    info="#93c5fd",
    muted="#9aa3b2",
    border="#3a4252",
    card="#23272f",
    subtle="#1b1f26",
    confusion_bg="#3a2656",
    confusion_fg="#e3ccff",
    warn_bg="#3a3018",
    error_bg="#3d1f22",
    ok_bg="#173222",
    info_bg="#1c2a42",
)


def is_dark() -> bool:
    """True when the system (or the current palette) is dark."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hints is not None else Qt.ColorScheme.Unknown
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


_current: list[Colours] = []


def colours() -> Colours:
    """The palette for the current scheme (cached; apply_theme resets it on a change)."""
    if not _current:
        _current.append(DARK if is_dark() else LIGHT)
    return _current[0]


def reset_colours() -> None:
    _current.clear()


STATUS_COLOUR = {
    "registered": "ok",
    "pending": "warn",
    "failed": "error",
    "unregistered": "muted",
    "replaced": "muted",
    "active": "ok",
    "consumed": "muted",
    "superseded": "muted",
    "revoked": "error",
}
LEVEL_COLOUR = {"debug": "muted", "info": "info", "warning": "warn", "error": "error"}


def status_colour(status: str) -> QColor:
    name = STATUS_COLOUR.get(status, "muted")
    return QColor(getattr(colours(), name))


def level_colour(level: str) -> QColor:
    return QColor(getattr(colours(), LEVEL_COLOUR.get(level, "muted")))


def mono_font(point_delta: int = 0) -> QFont:
    """A readable fixed-width font for fingerprints, URLs and transcript lines."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    if point_delta and font.pointSize() > 0:
        font.setPointSize(font.pointSize() + point_delta)
    return font


def stylesheet(palette: Colours | None = None) -> str:
    """resources/style.qss with @placeholders filled for the scheme ('' if missing)."""
    pal = palette or colours()
    try:
        text = resource("style.qss").read_text("utf-8")
    except FileNotFoundError:
        return ""
    text = text.replace("@resources", resources_dir().as_posix())
    names = sorted(Colours.__dataclass_fields__, key=len, reverse=True)
    for name in names:
        text = text.replace(f"@{name}", getattr(pal, name))
    return text


def app_icon() -> QIcon:
    """The app icon from its PNG sizes (no SVG engine to load at start-up), else the SVG."""
    icon = QIcon()
    hicolor = resources_dir() / "icons" / "hicolor"
    for size in (32, 48, 64, 128, 256):
        png = hicolor / f"{size}x{size}" / "apps" / "ocpi-onboard.png"
        if png.is_file():
            icon.addFile(str(png))
    if not icon.isNull():
        return icon
    for name in ("icon.png", "icon.svg"):
        with contextlib.suppress(FileNotFoundError):
            return QIcon(str(resource(name)))
    return QIcon()


FUSION_ARGS = ("-style", "Fusion")  # QApplication's own arguments for the Fusion style


def apply_theme(app: QApplication, *, fusion_set: bool = False) -> None:
    """Fusion style, the system's colour scheme, our stylesheet; re-applied when it changes.

    `fusion_set`: the app was made with FUSION_ARGS. setStyle returns the QStyle it made,
    and PySide makes QStyle's Python type with its 22 enums on first sight (~10 ms of the
    start, issue 13): an app made in Fusion skips it."""
    if not fusion_set:
        app.setStyle("Fusion")
    reset_colours()
    app.setStyleSheet(stylesheet())
    hints = QGuiApplication.styleHints()
    if hints is not None and not app.property("ocpiThemeHooked"):
        app.setProperty("ocpiThemeHooked", True)
        hints.colorSchemeChanged.connect(lambda _scheme: apply_theme(app))
