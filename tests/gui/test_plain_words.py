"""History in plain words, and the log pane's Copy with nothing selected.

Issue 9: History showed bare diagnosis codes; Copy with no line selected did nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.core.diagnosis import diagnose
from tests.gui.helpers import run_sender_wizard, select_when_listed


def test_history_says_what_went_wrong_in_words(qtbot: Any, window: Any) -> None:
    wizard = run_sender_wizard(qtbot, window, "html-500")
    run_id = wizard.sender_flow.run_id
    wizard.reject()
    qtbot.waitUntil(lambda: window.sender_wizard is None, timeout=5000)
    run = window.controller.run_record(run_id)
    code = (run.diagnosis or {}).get("code")
    assert code
    select_when_listed(qtbot, window, run.partner_id)
    history = window.partner_view.history
    qtbot.waitUntil(lambda: history.rowCount() > 0, timeout=5000)
    cells = [history.item(r, 4).text() for r in range(history.rowCount())]
    cell = next(c for c in cells if code in c)
    assert cell != code and cell.startswith(diagnose(code).message[:20]), cell
    assert cell.endswith(f"({code})")


def test_copy_with_nothing_selected_copies_every_line_shown(qtbot: Any, window: Any) -> None:
    run_sender_wizard(qtbot, window, "no-callback")
    pane = window.log_pane
    pane.table.clearSelection()
    pane.level.setCurrentIndex(2)  # warnings and errors only
    shown = pane.proxy.rowCount()
    assert 0 < shown < pane.model.rowCount()
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(pane.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert "Mutual discovery incomplete" in copied
    assert sum(1 for line in copied.splitlines() if not line.startswith("    ")) == shown
    assert "INFO" not in copied
