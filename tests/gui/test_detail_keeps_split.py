"""What the partner's detail shows never moves the splitter beside the partners list.

Issue 13, target 4: the detail's minimum width followed its content (the token table's
columns, labels, pills), so selecting a partner, a handshake and a verify resized the
splitter, and with it the partners list: a whole repaint of a 2,000-row list in the same
loop turn as the run's step. Only the person (dragging the splitter, resizing the window)
changes the split. Here a person at 1024x700 selects the sandbox partner, onboards it again
with the Sender wizard and verifies it; every resize of the list is recorded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QScrollArea, QTableWidgetItem, QWizard

from tests.gui.helpers import (
    WAIT_MS,
    app_style_sheet,
    click,
    go_next,
    open_sandbox_wizard,
    register_sandbox,
)

SIZE = (1024, 700)


class SplitWatch(QObject):
    """Notes the splitter's sizes at every resize of either of its two panes."""

    def __init__(self, window: Any) -> None:
        super().__init__()
        self.window = window
        self.seen: list[list[int]] = []
        self.panes = [window.splitter.widget(i) for i in range(window.splitter.count())]
        for pane in self.panes:
            pane.installEventFilter(self)

    def stop(self) -> None:
        for pane in self.panes:
            pane.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.seen.append(self.window.splitter.sizes())
        return False


def _settle(qtbot: Any, window: Any) -> None:
    qtbot.waitExposed(window)
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(20)


def _handshake_again(qtbot: Any, window: Any) -> None:
    """The Sender wizard against the sandbox partner, end to end, Finish included (the
    partner is registered already: the person says yes to registering it again)."""
    from app.gui.flows import Phase

    wizard = open_sandbox_wizard(qtbot, window)
    wizard.confirm_replace = lambda _twin: True
    go_next(qtbot, wizard)
    flow = wizard.sender_flow
    qtbot.waitUntil(lambda: flow.phase == Phase.READY, timeout=WAIT_MS)
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: flow.phase == Phase.DONE, timeout=WAIT_MS)
    go_next(qtbot, wizard)
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)


def test_selecting_a_handshake_and_a_verify_keep_the_split(qtbot: Any, window: Any) -> None:
    register_sandbox(qtbot, window.controller)
    window.resize(*SIZE)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == 1, timeout=5000)
    _settle(qtbot, window)
    split = window.splitter.sizes()
    watch = SplitWatch(window)
    try:
        _select_run_and_verify(qtbot, window, split, watch)
    finally:
        watch.stop()

    # nothing in the detail needs more than its width at 1024 px: nothing cut at its edge
    scroll = window.partner_view.stack.currentWidget()
    assert isinstance(scroll, QScrollArea)
    inner = scroll.widget().minimumSizeHint().width()
    assert inner <= scroll.viewport().width(), (inner, scroll.viewport().width())


def _select_run_and_verify(qtbot: Any, window: Any, split: list[int], watch: SplitWatch) -> None:
    window.table.selectRow(0)  # the detail fills: title, pills, tokens, endpoints, history
    qtbot.waitUntil(lambda: window.partner_view.stack.currentIndex() == 1, timeout=5000)
    _settle(qtbot, window)
    assert window.splitter.sizes() == split, (split, watch.seen)

    _handshake_again(qtbot, window)  # new tokens, run states, history rows, banners
    _settle(qtbot, window)
    assert window.partner_view.partner is not None
    assert window.splitter.sizes() == split, (split, watch.seen)

    ui = window.health_ui  # the verify report, the health tab's contents and buttons
    qtbot.waitUntil(ui.verify_action.isEnabled, timeout=5000)
    with qtbot.waitSignal(ui.ops.verifyFinished, timeout=WAIT_MS):
        ui.verify_action.trigger()
    qtbot.waitUntil(ui.tab.dialog.isVisible, timeout=5000)
    ui.tab.dialog.close()
    window.partner_view.tabs.setCurrentWidget(ui.tab)
    _settle(qtbot, window)
    assert window.splitter.sizes() == split, (split, watch.seen)
    assert watch.seen == [], watch.seen  # not even for a moment


def test_the_person_still_moves_the_split(qtbot: Any, window: Any) -> None:
    """Dragging the handle (moveSplitter, as the handle does) and resizing the window."""
    register_sandbox(qtbot, window.controller)
    window.resize(*SIZE)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == 1, timeout=5000)
    window.table.selectRow(0)
    _settle(qtbot, window)
    before = window.splitter.sizes()
    window.splitter.moveSplitter(before[0] - 40, 1)
    _settle(qtbot, window)
    dragged = window.splitter.sizes()
    assert dragged[0] == before[0] - 40, (before, dragged)
    window.resize(SIZE[0] + 200, SIZE[1])
    _settle(qtbot, window)
    assert sum(window.splitter.sizes()) > sum(dragged)


def test_a_status_with_a_finding_is_read_whole_at_1024(qtbot: Any, window: Any) -> None:
    """The floor is taken on usual texts, so "Registered · TOKEN_C refused" is wider than
    the head row's room when the detail is at its narrowest: the status wraps inside its pill instead of being cut
    at the detail's edge (the finding is the part that matters)."""
    register_sandbox(qtbot, window.controller, fault="401-after-registration")
    window.resize(*SIZE)
    _settle(qtbot, window)
    window.table.selectRow(0)
    pill = window.partner_view.status_pill
    qtbot.waitUntil(lambda: "TOKEN_C refused" in pill.text(), timeout=WAIT_MS)
    window.splitter.setSizes([SIZE[0], 1])  # the person gives the list all it can take
    _settle(qtbot, window)
    scroll = window.partner_view.stack.currentWidget()
    assert isinstance(scroll, QScrollArea)
    right = pill.mapTo(scroll.viewport(), pill.rect().topRight()).x()
    assert right <= scroll.viewport().width(), (right, scroll.viewport().width())
    lines_fit = pill.height() >= pill.heightForWidth(pill.width())
    one_line_fits = pill.width() >= pill.sizeHint().width()
    assert one_line_fits or lines_fit, (pill.size(), pill.sizeHint(), pill.text())


def test_a_status_pill_reads_on_one_line_with_room_and_wraps_whole_without(qtbot: Any) -> None:
    """The status pill of the detail: one line where it fits; squeezed below its one-line
    width (a longer finding, a larger font), it wraps and every line stays inside it."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QHBoxLayout, QWidget

    from app.gui.widgets import WrappingPill

    row = QWidget()
    qtbot.addWidget(row)
    layout = QHBoxLayout(row)
    pill = WrappingPill("Registered · TOKEN_C refused", "registered")
    layout.addWidget(pill, 0, Qt.AlignmentFlag.AlignTop)  # as in the detail's head row
    row.show()
    one_line = pill.sizeHint()
    row.resize(one_line.width() + 40, 200)
    _settle(qtbot, row)
    assert pill.height() < 2 * pill.fontMetrics().height(), pill.size()  # one line
    row.resize(one_line.width() // 2 + 20, 200)
    _settle(qtbot, row)
    assert pill.width() < one_line.width()
    assert pill.height() >= pill.heightForWidth(pill.width()) > one_line.height()


@pytest.fixture
def styled(qapp: QApplication) -> Iterator[None]:
    """The stylesheet the app applies at start (wider padding, bold headers), before the
    window is built, as in the app."""
    with app_style_sheet(qapp):
        yield


def test_with_the_theme_a_drift_history_fits_beside_a_whole_name(
    styled: None, qtbot: Any, window: Any, controller: Any
) -> None:
    """Three things share a 1024 px window: the list's whole partner name, the detail's
    floor, the drift history's headers. The floor is taken with the Health tab in it (it
    once missed it: taken before the tab joined, from a stale layout), and the drift table's
    minimum comes from its headers and samples, never from rows that arrive later: a check
    that fills the drift history moves no split and cuts nothing at the detail's edge."""
    window.resize(*SIZE)
    result = register_sandbox(qtbot, controller, "drift-module")
    qtbot.waitUntil(lambda: window.select_partner(result.partner_id), timeout=10_000)
    tab = window.health_ui.tab
    window.partner_view.tabs.setCurrentWidget(tab)
    _settle(qtbot, window)
    split = window.splitter.sizes()
    qtbot.waitUntil(window.check_action.isEnabled, timeout=5000)
    window.check_action.trigger()
    drift = tab.drift
    qtbot.waitUntil(
        lambda: any(
            "tariffs" in (drift.item(r, 3) or QTableWidgetItem()).text()
            for r in range(drift.rowCount())
        ),
        timeout=WAIT_MS,
    )
    _settle(qtbot, window)
    assert window.splitter.sizes() == split, split
    scroll = window.partner_view.stack.currentWidget()
    assert isinstance(scroll, QScrollArea)
    inner = scroll.widget().minimumSizeHint().width()
    assert inner <= scroll.viewport().width(), (inner, scroll.viewport().width())
    header = drift.horizontalHeader()

    def cut() -> list[int]:
        return [c for c in range(header.count())
                if header.sectionSize(c) < header.sectionSizeFromContents(c).width()]  # fmt: skip

    with contextlib.suppress(qtbot.TimeoutError):  # the header's sections follow a turn later
        qtbot.waitUntil(lambda: not cut(), timeout=2000)
    assert not cut(), [header.sectionSize(c) for c in range(header.count())]
    # and its columns share its width: no column pushed off to the side (a stretched last
    # section kept 100-190 px of its own, so the table scrolled sideways and hid "When")
    assert header.length() <= drift.viewport().width(), (header.length(), drift.viewport().width())
    names = window.table.horizontalHeader()
    right = names.sectionViewportPosition(2) + names.sectionSize(2)
    assert right <= window.table.viewport().width(), (window.splitter.sizes(), right)


def test_with_the_theme_the_last_token_column_is_whole_once_scrolled_to(
    styled: None, qtbot: Any, window: Any, controller: Any
) -> None:
    """At 1024 px the token table is narrower than its columns and scrolls sideways; its
    last column (Used · ended, stretched) kept 100 px of its own, below its bold header's
    106 with the theme: scrolled into view it still read "Used · en…"."""
    window.resize(*SIZE)
    result = register_sandbox(qtbot, controller)
    qtbot.waitUntil(lambda: window.select_partner(result.partner_id), timeout=10_000)
    _settle(qtbot, window)
    table = window.partner_view.credentials
    header = table.horizontalHeader()
    last = header.count() - 1
    table.horizontalScrollBar().setValue(table.horizontalScrollBar().maximum())
    _settle(qtbot, window)
    assert header.sectionSize(last) >= header.sectionSizeFromContents(last).width(), (
        [header.sectionSize(c) for c in range(header.count())],
        header.sectionSizeFromContents(last).width(),
    )
    shown = header.sectionViewportPosition(last) + header.sectionSize(last)
    assert shown <= table.viewport().width(), (shown, table.viewport().width())


@pytest.mark.parametrize("status", ["registered", "pending", "unregistered", "failed", "replaced"])
def test_with_the_theme_every_stored_status_reads_whole_at_the_narrowest(
    styled: None, status: str, qtbot: Any, window: Any
) -> None:
    """A one-word status cannot wrap: at the detail's narrowest, with the widest pills a
    partner gets (a sandbox partner we receive from), each stored status stays inside the
    detail ("Unregistered" was cut at its edge: the floor was taken on "Registered")."""
    from app.gui.partner_cells import STATUS_TEXT

    register_sandbox(qtbot, window.controller)
    window.resize(*SIZE)
    window.table.selectRow(0)
    view = window.partner_view
    qtbot.waitUntil(lambda: view.built and view.stack.currentIndex() == 1, timeout=WAIT_MS)
    view.role_pill.set_status("We are Receiver", "info")  # what a partner we invited shows
    view.status_pill.set_status(STATUS_TEXT[status], status)
    window.splitter.setSizes([SIZE[0], 1])  # the person gives the list all it can take
    _settle(qtbot, window)
    scroll = view.stack.currentWidget()
    assert isinstance(scroll, QScrollArea)
    for pill in (view.sandbox_pill, view.role_pill, view.status_pill):
        right = pill.mapTo(scroll.viewport(), pill.rect().topRight()).x()
        assert right < scroll.viewport().width(), (pill.text(), right, scroll.viewport().width())
        assert pill.width() >= pill.sizeHint().width(), (pill.text(), pill.size())
