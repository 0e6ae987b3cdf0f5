"""What the partner's detail shows never moves the splitter beside the partners list.

Issue 13, target 4: the detail's minimum width followed its content (the token table's
columns, labels, pills), so selecting a partner, a handshake and a verify resized the
splitter, and with it the partners list: a whole repaint of a 2,000-row list in the same
loop turn as the run's step. Only the person (dragging the splitter, resizing the window)
changes the split. Here a person at 1024x700 selects the sandbox partner, onboards it again
with the Sender wizard and verifies it; every resize of the list is recorded.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QScrollArea, QWizard

from tests.gui.helpers import WAIT_MS, click, go_next, open_sandbox_wizard, register_sandbox

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
