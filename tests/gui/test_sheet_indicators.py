"""The style sheet's indicator images are PNGs (issue 13, target 1: resident memory).

The main window shows two combo boxes at start; with an SVG down-arrow, their first paint
loaded Qt's SVG library and its two plugins (~1 MiB resident for the session). The sheet now
names PNGs rendered from the same SVGs (packaging/make_icons.py), with @2x files that Qt
picks on a 2x screen. These tests hold the sheet to that and check that real widgets still
draw their arrow and check mark; tests/gui/test_start_imports.py checks, in a real start,
that the SVG library is not loaded after the window painted nor two seconds later.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QStyle,
    QStyleOptionButton,
    QStyleOptionComboBox,
)

from app.gui.theme import colours, stylesheet
from app.paths import resources_dir
from tests.gui.helpers import app_style_sheet

INDICATOR_PX = 12  # the size the sheet draws them at (width/height in style.qss)


def _images(sheet: str) -> list[str]:
    return re.findall(r'url\("?([^")]+)"?\)', sheet)


def test_the_sheet_names_png_images_with_a_2x_variant_each() -> None:
    images = _images(stylesheet())
    assert images, "the sheet names no image: the test no longer looks at anything"
    for path in images:
        assert path.endswith(".png"), f"{path}: an SVG loads Qt's SVG engine at the first paint"
        one = QImage(path)
        two = QImage(path[: -len(".png")] + "@2x.png")
        assert (one.width(), one.height()) == (INDICATOR_PX, INDICATOR_PX), path
        assert (two.width(), two.height()) == (2 * INDICATOR_PX, 2 * INDICATOR_PX), path
    # each PNG is made from the SVG beside it (make_icons.py), which stays the source
    for name in ("check", "chevron-down"):
        assert (resources_dir() / f"{name}.svg").is_file()
        assert any(path.endswith(f"/{name}.png") for path in images)


def _near(colour: QColor, target: QColor, slack: int = 40) -> bool:
    return all(
        abs(a - b) <= slack
        for a, b in (
            (colour.red(), target.red()),
            (colour.green(), target.green()),
            (colour.blue(), target.blue()),
        )
    )


def test_a_combo_box_draws_its_arrow_and_a_checked_box_its_mark(qtbot: Any, qapp: Any) -> None:
    with app_style_sheet(qapp):
        combo = QComboBox()
        combo.addItems(["All current", "Registered"])
        combo.resize(180, 32)
        box = QCheckBox("Token mix-ups only")
        box.setChecked(True)
        for widget in (combo, box):
            qtbot.addWidget(widget)
            widget.show()
            qtbot.waitExposed(widget)
        option = QStyleOptionComboBox()
        combo.initStyleOption(option)
        arrow = combo.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxArrow, combo
        )
        grab = combo.grab().toImage()
        scale = grab.devicePixelRatio()
        chevron = QColor("#8a93a3")  # chevron-down.svg's stroke
        drawn = [
            QColor(grab.pixel(int(x * scale), int(y * scale)))
            for x in range(arrow.left(), arrow.right() + 1)
            for y in range(arrow.top(), arrow.bottom() + 1)
        ]
        assert sum(_near(c, chevron) for c in drawn) >= 4, "no chevron drawn in the arrow"
        button = QStyleOptionButton()
        box.initStyleOption(button)
        square = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, button, box)
        mark = box.grab().toImage()
        scale = mark.devicePixelRatio()
        pixels = [
            QColor(mark.pixel(int(x * scale), int(y * scale)))
            for x in range(square.left(), square.right() + 1)
            for y in range(square.top(), square.bottom() + 1)
        ]
        assert any(_near(c, QColor(colours().accent)) for c in pixels), "the box is not filled"
        white = QColor("#ffffff")  # check.svg's stroke, on the accent
        assert sum(_near(c, white, 30) for c in pixels) >= 4, "no check mark drawn"
