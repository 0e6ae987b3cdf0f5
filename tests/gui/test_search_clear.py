"""The partners search gets Qt's clear button with its first text (issue 13, start-up):
the button and its icon are not made while the window starts, and a person typing sees
the same (x) as before, which clears the search."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolButton


def _clear_buttons(window: Any) -> list[QToolButton]:
    return [b for b in window.search.findChildren(QToolButton) if b.isVisibleTo(window.search)]


def test_the_clear_button_comes_with_the_first_text_and_clears(qtbot: Any, window: Any) -> None:
    window.show()
    qtbot.waitExposed(window)
    assert not window.search.isClearButtonEnabled()
    assert _clear_buttons(window) == []
    window.search.setFocus()
    QTest.keyClicks(window.search, "NL")
    assert window.search.isClearButtonEnabled()
    qtbot.waitUntil(lambda: len(_clear_buttons(window)) == 1, timeout=3000)
    QTest.mouseClick(_clear_buttons(window)[0], Qt.MouseButton.LeftButton)
    assert window.search.text() == ""
    assert window.search.isClearButtonEnabled()  # made once, kept
