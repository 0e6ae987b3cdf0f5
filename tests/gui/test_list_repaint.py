"""The partners list repaints what changed, and its paint reads nothing (issue 13, target 4).

A run touching one partner among thousands must not repaint the whole list: a changed row
repaints its row, a row added below the rows shown repaints none of them, a row removed
repaints from where it was down. Painting only looks up what each row says (made once per
change): no vault read, no row's texts made again. The current row of a focused list is
framed as one row, not marked as one darker cell. Counted with real widgets, never timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QWidget

import app.gui.models as models
from app.vault import Vault
from tests.gui.helpers import add_partners, app_style_sheet, press

NAME = 2


class Paints(QObject):
    """The regions a widget is asked to paint."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.rects: list[QRect] = []
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.rects.append(event.region().boundingRect())  # type: ignore[attr-defined]
        return False


@pytest.fixture
def styled(qapp: QApplication) -> Iterator[None]:
    """The app's style sheet (the selection's colours, the lists' row focus)."""
    with app_style_sheet(qapp):
        yield


def settle(qtbot: Any) -> None:
    """Let queued layouts and repaints run (several turns: Qt's delayed layouts)."""
    for _ in range(5):
        QApplication.processEvents()
        qtbot.wait(20)


def shown_list(qtbot: Any, window: Any, vault: Vault, count: int) -> list[Any]:
    partners = add_partners(vault, count)
    window.reload_partners()
    qtbot.waitExposed(window)
    settle(qtbot)
    return partners


def stale_pixels(view: Any) -> list[tuple[int, int]]:
    """Where the viewport on screen (the window's backing store) differs from a paint of
    it from scratch: rows left behind by a partial repaint or a scroll."""
    from PySide6.QtCore import QPoint

    screen = view.window().screen().grabWindow(view.window().winId()).toImage()
    fresh = view.viewport().grab().toImage()
    corner = view.viewport().mapTo(view.window(), QPoint(0, 0))
    return [
        (x, y)
        for y in range(0, view.viewport().height(), 2)
        for x in range(0, view.viewport().width(), 3)
        if screen.pixelColor(corner.x() + x, corner.y() + y) != fresh.pixelColor(x, y)
    ]


def name_of(window: Any, partner_id: int) -> str:
    model = window.model
    return str(model.data(model.index(model.row_of(partner_id), NAME)))


def row_band(window: Any, partner_id: int) -> QRect:
    index = window.proxy.mapFromSource(window.model.index(window.model.row_of(partner_id), 0))
    rect = window.table.visualRect(index)
    # Qt's update of a row takes the grid line under it too
    return QRect(0, rect.top(), window.table.viewport().width(), rect.height() + 1)


def test_a_touched_partner_repaints_its_row_only(
    styled: None, qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    partners = shown_list(qtbot, window, vault, 40)
    touched = partners[3]
    assert touched.id is not None
    band = row_band(window, touched.id)
    paints = Paints(window.table.viewport())
    vault.save_partner(replace(touched, business_name="Renamed Charging"))
    controller.partner_touched(touched.id)
    qtbot.waitUntil(lambda: name_of(window, touched.id) == "Renamed Charging", timeout=5000)
    settle(qtbot)
    assert paints.rects, "the changed row was not repainted"
    assert all(band.contains(rect) for rect in paints.rects), (band, paints.rects)


def add_partners_template(vault: Vault) -> Any:
    """A partner like the listed ones (DE: sorted after them, the sort being stable)."""
    return vault.partners()[0]


def test_a_row_added_below_the_rows_shown_repaints_none_of_them(
    styled: None, qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    shown_list(qtbot, window, vault, 60)
    viewport = window.table.viewport()
    assert window.table.rowAt(viewport.height() - 1) < 59  # the list's end is below the view
    layouts = window.table.whole_layouts
    paints = Paints(viewport)
    added = vault.save_partner(replace(add_partners_template(vault), id=None, party_id="ZZZ"))
    assert added.id is not None
    controller.partner_touched(added.id)
    qtbot.waitUntil(lambda: window.model.rowCount() == 61, timeout=5000)
    settle(qtbot)
    assert paints.rects == []
    assert window.table.whole_layouts == layouts


def test_a_row_removed_repaints_from_where_it_was_and_hands_over_the_selection(
    styled: None, qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    partners = shown_list(qtbot, window, vault, 40)
    gone, following = partners[4], partners[5]
    assert gone.id is not None and following.id is not None
    window.select_partner(gone.id)
    settle(qtbot)
    band = row_band(window, gone.id)
    paints = Paints(window.table.viewport())
    vault.save_partner(replace(gone, status="replaced"))  # filtered out of the current rows
    controller.partner_touched(gone.id)
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 39, timeout=5000)
    settle(qtbot)
    assert paints.rects, "the rows that moved up were not repainted"
    assert min(rect.top() for rect in paints.rects) >= band.top()  # nothing above it
    selected = window.selected_partner()
    assert selected is not None and selected.id == following.id  # Qt's hand-over, kept
    current = window.table.visualRect(window.table.currentIndex())
    assert window.table.viewport().rect().contains(current)
    assert stale_pixels(window.table) == []  # what the screen shows is the list as it is


def test_painting_the_list_reads_no_vault_and_makes_no_row_twice(
    qtbot: Any, window: Any, vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown_list(qtbot, window, vault, 40)
    reads: list[str] = []
    made: list[int] = []
    read, row_cells = vault._read, models.row_cells
    monkeypatch.setattr(
        vault, "_read", lambda sql, params=(): reads.append(sql) or read(sql, params)
    )
    monkeypatch.setattr(models, "row_cells", lambda *a: made.append(1) or row_cells(*a))
    viewport = window.table.viewport()
    viewport.repaint()
    viewport.repaint()
    window.table.horizontalScrollBar().setValue(window.table.horizontalScrollBar().maximum())
    viewport.repaint()  # the other columns: the same rows' cells
    assert reads == []
    assert made == []  # every shown row's cells were made when it was first painted


def colour(image: QImage, x: int, y: int) -> QColor:
    return image.pixelColor(x, y)


def test_the_focused_lists_selected_row_reads_as_one_row_with_its_focus_framed(
    styled: None, qtbot: Any, window: Any, vault: Vault
) -> None:
    shown_list(qtbot, window, vault, 20)
    table = window.table
    window.activateWindow()
    table.setFocus()
    qtbot.waitUntil(table.hasFocus, timeout=5000)
    press(Qt.Key.Key_Down)  # the keyboard picks the first row, then moves on
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Right)
    press(Qt.Key.Key_Right)
    settle(qtbot)
    current = table.currentIndex()
    leftmost = table.columnAt(0)
    assert current.column() != leftmost and table.selectionModel().isSelected(current)
    cell = table.visualRect(current)
    first = table.visualRect(current.siblingAtColumn(leftmost))
    image = table.viewport().grab().toImage()
    middle = cell.center().y()
    # the background where no text is: the current cell's right end, the first cell's
    inside = colour(image, cell.right() - 3, middle)
    assert inside == colour(image, first.right() - 3, middle), "the current cell stands out"
    frame_y = cell.top() + 1
    framed = {colour(image, x, frame_y).name() for x in range(first.left() + 2, cell.right())}
    assert len(framed) > 1, "no focus frame along the row"  # dotted: two colours alternate
    table.clearFocus()
    settle(qtbot)
    plain = table.viewport().grab().toImage()
    assert {colour(plain, x, frame_y).name() for x in range(first.left() + 2, cell.right())} == {
        inside.name()
    }


@pytest.fixture(params=["styled", "plain"])
def theme(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    """The app's style sheet (its viewports repaint on a scroll), or none (Qt's opaque
    viewports shift their pixels on a scroll)."""
    if request.param == "plain":
        yield "plain"
        return
    request.getfixturevalue("styled")
    yield "styled"


def test_what_the_screen_shows_of_a_log_following_its_run_is_a_fresh_paint(
    theme: str, qtbot: Any
) -> None:
    """Entries appended, several a turn, each scrolled to: partial repaints and Qt's scroll
    must leave on screen what a paint from scratch draws (an opaque viewport shifted pixels
    painted before the scroll and showed earlier rows, session 23)."""
    from PySide6.QtCore import QEventLoop

    from app.gui.list_keys import PickListView
    from app.gui.log_models import LogFilterProxy, LogModel

    model, proxy, view = LogModel(), LogFilterProxy(), PickListView()
    proxy.setSourceModel(model)
    view.setModel(proxy)
    view.verticalHeader().setVisible(False)
    qtbot.addWidget(view)
    view.resize(500, 160)
    view.show()
    qtbot.waitExposed(view)
    model.reset("run")
    count = 0
    for burst in (1, 3, 1, 2, 4, 1, 1, 3):
        for _ in range(burst):
            at = f"2025-01-01T00:00:{count:02d}.000Z"
            model.append({"type": "event", "level": "info", "message": f"entry {count}", "at": at})
            count += 1
            view.scrollToBottom()
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    settle(qtbot)
    stale = stale_pixels(view)
    assert stale == [], f"{len(stale)} pixels differ ({theme})"
