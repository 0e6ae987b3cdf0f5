"""Check boxes and radio buttons can be seen on a dark desktop.

Issue 9 (found by looking at the README screenshots): with a dark palette, Fusion drew an
unchecked box as a base-coloured square with a border darker than the window, so "Token
mix-ups only" and the Roles boxes in Settings showed no box at all. The stylesheet now draws
the indicators in the scheme's colours. Rendered here with a dark palette, then measured.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
)

from app.gui.theme import apply_theme


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[None]:
    before = qapp.palette()
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#1e2127"),
        (QPalette.ColorRole.WindowText, "#e6e8eb"),
        (QPalette.ColorRole.Base, "#16181d"),
        (QPalette.ColorRole.Text, "#e6e8eb"),
        (QPalette.ColorRole.Button, "#2a2e36"),
        (QPalette.ColorRole.ButtonText, "#e6e8eb"),
    ):
        palette.setColor(role, QColor(colour))
    qapp.setPalette(palette)
    apply_theme(qapp)
    try:
        yield
    finally:
        qapp.setPalette(before)
        apply_theme(qapp)


def _indicator_contrast(qtbot: Any, button: QAbstractButton, element: QStyle.SubElement) -> int:
    """The largest lightness difference between the indicator's pixels and the window."""
    qtbot.addWidget(button)
    button.show()
    qtbot.waitExposed(button)
    image = button.grab().toImage()
    option = QStyleOptionButton()
    button.initStyleOption(option)  # type: ignore[attr-defined]
    rect = button.style().subElementRect(element, option, button)
    window = button.palette().color(QPalette.ColorRole.Window).lightness()
    return max(
        abs(image.pixelColor(x, y).lightness() - window)
        for x in range(max(rect.left(), 0), min(rect.right() + 1, image.width()))
        for y in range(max(rect.top(), 0), min(rect.bottom() + 1, image.height()))
    )


@pytest.mark.usefixtures("dark")
def test_an_unchecked_box_shows_on_a_dark_palette(qtbot: Any) -> None:
    box = QCheckBox("Token mix-ups only")
    assert _indicator_contrast(qtbot, box, QStyle.SubElement.SE_CheckBoxIndicator) >= 60


@pytest.mark.usefixtures("dark")
def test_an_unchecked_radio_shows_on_a_dark_palette(qtbot: Any) -> None:
    radio = QRadioButton("Our platform serves our versions endpoint")
    assert _indicator_contrast(qtbot, radio, QStyle.SubElement.SE_RadioButtonIndicator) >= 60
