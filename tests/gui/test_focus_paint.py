"""A dialog opening or closing over the window, or the focus moving, repaints no list whole
(issue 13, target 4).

Qt repaints an item view's whole viewport when its window is activated or deactivated and
when the view gains or loses the focus. Under a window manager each verify's report opening
over the main window painted the partners list, the log and the detail's tables whole
again (~11 ms, in the turn of the report's first paint). The theme draws a selection alike
in an active and an inactive window, so only the current row's focus frame and the view's
border change (app/gui/focus_paint.py). Counted with real widgets (paint regions), and the
screen compared with a fresh paint; never timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QVBoxLayout

from app.vault import Vault
from tests.gui.helpers import app_style_sheet
from tests.gui.test_list_repaint import Paints, settle, shown_list, stale_pixels


@pytest.fixture
def styled(qapp: QApplication) -> Iterator[None]:
    with app_style_sheet(qapp):
        yield


def current_band(table: Any) -> QRect:
    rect = table.visualRect(table.currentIndex())
    return QRect(0, rect.top(), table.viewport().width(), rect.height() + 1)


def focused_list(qtbot: Any, window: Any, vault: Vault) -> Any:
    shown_list(qtbot, window, vault, 40)
    table = window.table
    window.activateWindow()
    table.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(table.hasFocus, timeout=5000)
    settle(qtbot)
    return table


def a_dialog_over(window: Any, qtbot: Any) -> QDialog:
    dialog = QDialog(window)
    QVBoxLayout(dialog).addWidget(QLabel("Over the window"))
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=5000)
    return dialog


def test_a_dialog_opening_and_closing_over_the_window_repaints_no_list_whole(
    styled: None, qtbot: Any, window: Any, vault: Vault
) -> None:
    table = focused_list(qtbot, window, vault)
    assert table.currentIndex().row() == 0  # Qt's: the keyboard's focus makes a row current
    band = current_band(table)
    views = [table, window.log_pane.table]
    paints = [Paints(view.viewport()) for view in views]
    dialog = a_dialog_over(window, qtbot)
    settle(qtbot)
    assert not table.hasFocus()  # the window is inactive: the list's focus frame goes
    dialog.close()
    window.activateWindow()
    qtbot.waitUntil(table.hasFocus, timeout=5000)
    settle(qtbot)
    assert paints[0].rects, "the current row's focus frame was not redrawn"
    assert all(band.contains(rect) for rect in paints[0].rects), (band, paints[0].rects)
    assert paints[1].rects == []  # the log, without focus: nothing to redraw
    assert stale_pixels(table) == []  # the screen shows the list as a fresh paint does


def test_the_focus_moving_in_and_out_of_the_list_repaints_its_current_row_only(
    styled: None, qtbot: Any, window: Any, vault: Vault
) -> None:
    table = focused_list(qtbot, window, vault)
    band = current_band(table)
    paints = Paints(table.viewport())
    window.search.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: not table.hasFocus(), timeout=5000)
    settle(qtbot)
    assert paints.rects and all(band.contains(rect) for rect in paints.rects)
    assert stale_pixels(table) == []  # (a grab paints the viewport: counted no further)
    paints.rects.clear()
    table.setFocus(Qt.FocusReason.BacktabFocusReason)
    qtbot.waitUntil(table.hasFocus, timeout=5000)
    settle(qtbot)
    assert paints.rects and all(band.contains(rect) for rect in paints.rects)
    assert stale_pixels(table) == []


def test_a_palette_that_draws_an_inactive_window_differently_still_repaints_the_list(
    qtbot: Any, window: Any, vault: Vault
) -> None:
    """Qt's own rule is kept: a viewport whose palette differs between an active and an
    inactive window is repainted when the window's activation changes."""
    table = focused_list(qtbot, window, vault)
    palette = table.palette()
    palette.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.Highlight, QColor("grey"))
    table.setPalette(palette)
    settle(qtbot)
    paints = Paints(table.viewport())
    dialog = a_dialog_over(window, qtbot)
    settle(qtbot)
    dialog.close()
    assert table.viewport().rect() in paints.rects
