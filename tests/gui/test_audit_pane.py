"""The Audit dock as a person uses it: open it from the View menu's shortcut, see who
revealed and copied which token, filter to the selected partner, verify the trail, and see
a row edited directly in the vault file reported as broken."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.vault import MEMBER_ENV
from tests.gui.helpers import click, register_sandbox, select_when_listed


def _rows(pane: Any) -> list[tuple[str, ...]]:
    model = pane.model
    return [
        tuple(model.index(r, c).data() for c in range(model.columnCount()))
        for r in range(model.rowCount())
    ]


def test_audit_pane_shows_reveal_copy_and_catches_an_edit(
    qtbot: Any, window: Any, controller: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MEMBER_ENV, "erin")
    window.resize(1024, 700)
    result = register_sandbox(qtbot, controller)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=5000)
    select_when_listed(qtbot, window, result.partner_id)
    view = window.partner_view
    view.credentials.selectRow(0)
    fp = view.selected_credential().fingerprint
    click(qtbot, view.reveal_button)
    click(qtbot, view.copy_button)

    pane = window.audit_pane
    assert not pane.isVisible()
    QTest.keyClick(
        window,
        Qt.Key.Key_A,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(pane.isVisible, timeout=3000)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 3, timeout=3000)
    rows = _rows(pane)
    assert [r[2:] for r in rows] == [
        ("erin", "register", "NL-SBX", result.token_c_fingerprint),
        ("erin", "reveal", "NL-SBX", fp),
        ("erin", "copy", "NL-SBX", fp),
    ]
    assert pane.table.isVisible() and pane.verify_button.isVisible()
    assert pane.table.height() > 40  # rows are visible at 1024x700, not squeezed away

    # the pane follows new events (appended, not reset) while open
    click(qtbot, view.reveal_button)  # hides the shown value: no event
    click(qtbot, view.reveal_button)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 4, timeout=3000)

    click(qtbot, pane.partner_only)
    assert pane.model.rowCount() == 4
    window.table.clearSelection()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 0, timeout=3000)
    click(qtbot, pane.partner_only)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 4, timeout=3000)

    click(qtbot, pane.verify_button)
    assert pane.status.text().startswith("Trail intact: 4 events")

    with contextlib.closing(sqlite3.connect(tmp_path / "vault.db")) as conn:
        conn.execute("UPDATE audit SET fingerprint = 'C·000000' WHERE seq = 2")
        conn.commit()
    click(qtbot, pane.verify_button)
    assert pane.status.text().startswith("Trail BROKEN at row 2")


def test_the_pane_body_is_made_when_first_shown_and_comes_back_open_and_filled(
    qtbot: Any, controller: Any, tmp_path: Path
) -> None:
    """Issue 13: the hidden pane's body is not made with the window (most sessions never
    open it); opening it makes it, and a pane left open is back, made and filled, in the
    next window (the saved layout shows it)."""
    from app.gui.main_window import MainWindow, window_state

    register_sandbox(qtbot, controller)  # one audited event: the registration
    state = tmp_path / "window.ini"
    first = MainWindow(controller, state=window_state(state))
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    pane = first.audit_pane
    assert not pane.isVisible() and not pane.built and pane.widget() is None
    first.audit_action.trigger()  # View > Audit trail
    qtbot.waitUntil(pane.isVisible, timeout=3000)
    assert pane.built and pane.table.isVisible() and pane.verify_button.isVisible()
    assert [r[3] for r in _rows(pane)] == ["register"]
    first.close()  # the layout is saved as the window closes

    second = MainWindow(controller, state=window_state(state))
    qtbot.addWidget(second)
    second.show()
    again = second.audit_pane
    qtbot.waitUntil(again.isVisible, timeout=3000)
    assert again.built and again.table.isVisible()
    assert [r[3] for r in _rows(again)] == ["register"]
