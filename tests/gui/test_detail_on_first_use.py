"""The partner's detail is built on first use, and nothing a person sees tells (issue 13).

At start-up nothing is selected, and the detail's tabs (tokens, endpoints, history,
profile, health with its drift table) cost ~25 ms of the window's start plus their styling:
they are built with the first partner shown (or ahead, once the start has settled). Its
width in the splitter (app/gui/detail_floor.py) is measured on sample widgets, so the
first selection moves no split, the built detail fits that width, and Tab still reaches
the detail before the log pane although its widgets are made after the log's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLayout, QScrollArea, QTabWidget, QWidget

from tests.gui.helpers import activate, register_sandbox

SIZE = (1024, 700)


@pytest.fixture(params=["plain", "themed"])
def look(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    """Without and with the app's style sheet (set before the window is built, as the app
    does): the floor's samples must follow either."""
    before = qapp.styleSheet()
    if request.param == "themed":
        from app.gui.theme import apply_theme

        apply_theme(qapp)
    try:
        yield str(request.param)
    finally:
        qapp.setStyleSheet(before)


class Resizes(QObject):
    """Counts the resizes of the splitter's two panes."""

    def __init__(self, window: Any) -> None:
        super().__init__()
        self.count = 0
        self.panes = [window.splitter.widget(i) for i in range(window.splitter.count())]
        for pane in self.panes:
            pane.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.count += 1
        return False


def _settle(qtbot: Any) -> None:
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(20)


def _fresh_minimum(inner: QWidget) -> int:
    """The built content's minimum width now (layouts keep sizes from when a part was
    hidden: every cached size is dropped first)."""
    for child in inner.findChildren(QWidget):
        child.updateGeometry()
    for layout in inner.findChildren(QLayout):
        layout.invalidate()
    return inner.minimumSizeHint().width()


def test_no_detail_before_a_partner_is_selected(
    look: str, qtbot: Any, window: Any, controller: Any
) -> None:
    """Listed but not selected: no tab, table or Health tab of the detail exists; the
    first click on it shows the partner, built then; the split stays."""
    window.resize(*SIZE)
    result = register_sandbox(qtbot, controller)
    view = window.partner_view
    qtbot.waitUntil(lambda: window.model.row_of(result.partner_id) >= 0, timeout=5000)
    _settle(qtbot)
    assert not view.built
    assert view.findChildren(QTabWidget) == []
    assert view.findChildren(QScrollArea) == []
    assert window.health_ui._tab is None
    split = window.splitter.sizes()
    floor = view.minimumSizeHint().width()
    resizes = Resizes(window)

    table = window.table
    rect = table.visualRect(table.model().index(0, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: view.partner is not None, timeout=5000)
    _settle(qtbot)
    assert view.built and view.stack.currentIndex() == 1
    assert view.tabs.indexOf(window.health_ui.tab) >= 0  # the Health tab joined it
    assert window.splitter.sizes() == split, (split, window.splitter.sizes())
    assert resizes.count == 0  # not even for a moment
    assert view.minimumSizeHint().width() == floor


def test_the_drift_part_after_the_first_paint_moves_nothing(
    look: str, qtbot: Any, window: Any
) -> None:
    """The drift table's part of the floor is measured once the window has painted (the
    Health tab's module and Qt's QStyle type stay out of the start): with the usual fonts
    the head row is the wider part, so the width the window first showed with stays."""
    view = window.partner_view
    first = view.minimumSizeHint().width()
    assert not view.floor.complete
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: view.floor.complete, timeout=5000)
    assert view.minimumSizeHint().width() == first
    assert not view.built  # measured on samples: the detail is still not built


def test_the_built_detail_fits_its_floor(look: str, qtbot: Any, window: Any) -> None:
    """The floor taken on samples holds the detail once built: nothing needs more (it
    would be cut at the detail's right edge)."""
    window.resize(*SIZE)
    view = window.partner_view
    width = view.minimumSizeHint().width()
    view.build_detail()
    view.stack.setCurrentIndex(1)  # shown (polished), as with a partner
    _settle(qtbot)
    floor = view.floor.parts(view)  # with the drift table's part, taken before building
    assert view.floor.complete and floor.width == width
    scroll = view.stack.currentWidget()
    assert isinstance(scroll, QScrollArea)
    assert scroll.verticalScrollBar().sizeHint().width() == floor.bar
    # the content's part alone holds the content (the head row's part is often wider)
    assert _fresh_minimum(scroll.widget()) <= floor.content, floor
    assert view.credentials.minimumWidth() == floor.tokens
    assert view.minimumSizeHint().width() == floor.width  # building it changed nothing


def test_tab_reaches_the_detail_before_the_log(qtbot: Any, window: Any, controller: Any) -> None:
    """Its widgets are made after the log pane's; Tab from the partners list still goes
    through the detail (the token table) before the log's table, as when it was built
    first."""
    result = register_sandbox(qtbot, controller)
    view = window.partner_view
    qtbot.waitUntil(lambda: window.select_partner(result.partner_id), timeout=5000)
    qtbot.waitUntil(lambda: view.partner is not None, timeout=5000)
    activate(qtbot, window)
    window.table.setFocus()
    qtbot.waitUntil(window.table.hasFocus, timeout=2000)
    seen: list[QWidget] = []
    for _ in range(30):
        target = QApplication.focusWidget()
        assert target is not None
        QTest.keyClick(target, Qt.Key.Key_Tab)
        QApplication.processEvents()
        seen.append(QApplication.focusWidget())
        if seen[-1] in (view.credentials, window.log_pane.table):
            break
    assert seen[-1] is view.credentials, [type(w).__name__ for w in seen]


def test_built_ahead_once_the_start_settles(qtbot: Any, window: Any, controller: Any) -> None:
    """The app builds it ahead (app/gui/ahead.py) so the first click does not; that
    detail is the one the first selection shows, built once."""
    from app.gui.ahead import build_detail_later

    view = window.partner_view
    build_detail_later(window, delay_ms=0)
    qtbot.waitUntil(lambda: view.built, timeout=5000)
    scroll = view.stack.widget(1)
    assert isinstance(scroll, QScrollArea) and view.stack.currentIndex() == 0  # not shown
    result = register_sandbox(qtbot, controller)
    qtbot.waitUntil(lambda: window.select_partner(result.partner_id), timeout=5000)
    qtbot.waitUntil(lambda: view.stack.currentIndex() == 1, timeout=5000)
    assert view.stack.currentWidget() is scroll and view.stack.count() == 2
    assert view.tabs.indexOf(window.health_ui.tab) >= 0
