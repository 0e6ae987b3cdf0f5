"""The log pane paints from what each entry's row says, worked out once (issue 13).

A run's log follows every entry; each paint asked the model seven roles per cell (a QColor
made per call). The painted roles now come in one call per cell from values made once per
row: these tests prove a repaint asks the model's data() nothing and makes no row's looks
again, and that what the delegate gets is what data() says (colours, fonts, texts).
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from app.gui.log_models import LogModel

ENTRIES = [
    {"type": "event", "level": "info", "message": "discovered", "at": "2025-01-01T00:00:01.000Z"},
    {"type": "event", "level": "warning", "message": "slow", "at": "2025-01-01T00:00:02.000Z"},
    {
        "type": "event",
        "level": "error",
        "message": "mixed up",
        "at": "2025-01-01T00:00:03.000Z",
        "diagnosis": {"token_confusion": True, "message": "TOKEN_C is TOKEN_B", "hint": "ask"},
    },
]


def logged(qtbot: Any, window: Any) -> Any:
    pane = window.log_pane
    pane.model.reset("run-x")
    for entry in ENTRIES:
        pane._on_controller_entryAdded("run-x", entry)
    qtbot.waitExposed(window)
    pane.table.viewport().repaint()
    return pane


def test_a_log_repaint_asks_no_roles_one_by_one_and_makes_no_looks_again(
    qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pane = logged(qtbot, window)
    asked: list[int] = []
    made: list[int] = []
    data, look = LogModel.data, LogModel._look
    monkeypatch.setattr(LogModel, "data", lambda m, i, r=0: asked.append(r) or data(m, i, r))
    monkeypatch.setattr(LogModel, "_look", lambda m, *a: made.append(1) or look(m, *a))
    pane.table.viewport().repaint()
    assert asked == []
    assert made == []


def test_the_delegate_gets_what_data_says(qtbot: Any, window: Any) -> None:
    pane = logged(qtbot, window)
    delegate = pane.table.itemDelegate()
    assert isinstance(delegate, QStyledItemDelegate)
    for row in range(pane.proxy.rowCount()):
        for column in range(pane.proxy.columnCount()):
            index = pane.proxy.index(row, column)
            option = QStyleOptionViewItem()
            delegate.initStyleOption(option, index)  # the paint's roles, in one call
            assert option.text == index.data()
            font = index.data(Qt.ItemDataRole.FontRole)
            if font is not None:
                assert option.font.bold() == font.bold()
                assert option.font.family() == font.family()
            foreground = index.data(Qt.ItemDataRole.ForegroundRole)
            if foreground is not None:
                assert option.palette.color(option.palette.ColorRole.Text) == foreground
            background = index.data(Qt.ItemDataRole.BackgroundRole)
            if background is not None:
                assert option.backgroundBrush.color() == background
            else:
                assert option.backgroundBrush.style() == Qt.BrushStyle.NoBrush


def test_the_token_table_is_measured_in_one_call_per_cell(
    qtbot: Any, window: Any, controller: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each verify changes a token's "used" time, and the token table is refilled and its
    columns measured: Qt's base class asked data() for seven roles a cell, one call each.
    Now one call per cell answers the roles the model has and clears the rest unasked."""
    from app.gui.models import CredentialsModel
    from tests.gui.helpers import register_sandbox

    result = register_sandbox(qtbot, controller)
    assert result.partner_id is not None
    window.reload_partners()
    assert window.select_partner(result.partner_id)
    view = window.partner_view
    qtbot.waitUntil(lambda: view.credentials_model.rowCount() > 0, timeout=5000)
    asked: set[int] = set()
    data = CredentialsModel.data
    monkeypatch.setattr(
        CredentialsModel, "data", lambda m, i, r=0: asked.add(int(r)) or data(m, i, r)
    )
    view.credentials.resizeColumnsToContents()
    view.credentials.viewport().repaint()
    unasked = {
        int(role)
        for role in (
            Qt.ItemDataRole.TextAlignmentRole,
            Qt.ItemDataRole.CheckStateRole,
            Qt.ItemDataRole.DecorationRole,
            Qt.ItemDataRole.BackgroundRole,
        )
    }
    assert asked and not asked & unasked
