"""The partners list comes back sorted as the person left it, sorted once (issue 13).

The saved layout (the list's header, its sort column and order among it) is put back
before the partners are read: a list left sorted by name was sorted by country when its
rows arrived, then again by name when the header was restored (every comparison two calls
into the model: ~12 ms more of the start at 200 partners). Counted, not timed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.gui import models
from app.gui.main_window import MainWindow, window_state
from app.gui.models import PartnersFilterProxy
from app.vault import Vault
from tests.gui.helpers import add_partners

NAME = 2


def _count_sort_keys(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every sort key the partners model answers, as a row number (the calls a sort makes:
    two per comparison, through the proxy's `lessThan`)."""
    asked: list[int] = []
    real = models.PartnersTableModel.sort_key

    def sort_key(self: models.PartnersTableModel, row: int, column: int) -> Any:
        asked.append(row)
        return real(self, row, column)

    monkeypatch.setattr(models.PartnersTableModel, "sort_key", sort_key)
    return asked


def test_a_remembered_sort_comes_back_and_the_list_sorts_once(
    qtbot: Any, controller: Any, vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_partners(vault, 40)
    state = tmp_path / "window.ini"
    first = MainWindow(controller, state=window_state(state))
    qtbot.addWidget(first)
    first.show()
    first.table.sortByColumn(NAME, Qt.SortOrder.DescendingOrder)  # the person's click
    first.close()  # the layout is saved as the window closes

    asked = _count_sort_keys(monkeypatch)
    second = MainWindow(controller, state=window_state(state))
    qtbot.addWidget(second)
    at_start = len(asked)
    header = second.table.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        NAME,
        Qt.SortOrder.DescendingOrder,
    )
    shown = [second.proxy.index(row, NAME).data() for row in range(second.proxy.rowCount())]
    assert len(shown) == 40
    assert shown == sorted(shown, key=str.lower, reverse=True)  # as the person left it

    # what one sort of the same rows by name costs, on its own
    asked.clear()
    alone = PartnersFilterProxy()
    alone.setSourceModel(second.model)
    assert alone.rowCount() == 40  # its rows mapped (unsorted) before the sort, as a reset
    alone.sort(NAME, Qt.SortOrder.DescendingOrder)
    assert len(asked) > 0
    assert at_start == len(asked)  # the start sorted once (it sorted by country first)
