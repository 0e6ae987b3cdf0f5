"""A row list a keyboard user can pick from: the first arrow key selects the row in focus.

Qt gives a list that gets the focus by Tab a current row (the focus frame on the first
row) but selects nothing, and an arrow key then moves *from* that row: in a one-row
partners list (or a one-line log) Down had nowhere to go and selected nothing (session 22
walk, only Space did). The partners list, the log, the token table and the audit table
use this view. Here, while nothing is selected, Up or Down selects the row the frame is on (and
Home/End/PageUp/PageDown, which move as always, select it when they have nowhere to
go); once a row is selected, the keys move as in any list.

Home and End go to the first and the last row, in the column the focus is in, as in any
list (session 24 walk): Qt's table took them for the first and the last column, so End in
the partners list scrolled it sideways, cutting the Health cell, and stayed on the row.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView

from app.gui.row_repaint import RowRepaintView

_STEP = {Qt.Key.Key_Up, Qt.Key.Key_Down}
_JUMP = {Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}
_ROW = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows


class PickListView(RowRepaintView):
    """A single-selection row table whose first arrow key, with nothing selected, selects
    the focused row rather than moving past it (and whose row inserts and removals repaint
    only the rows they moved, row_repaint)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = event.modifiers() == Qt.KeyboardModifier.NoModifier
        if plain and event.key() in _STEP and self._pick_current():
            event.accept()
            return
        super().keyPressEvent(event)
        if plain and event.key() in _JUMP:
            self._pick_current()

    def moveCursor(
        self, cursorAction: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        """Home / End: the first / last row (the rows are what the list is of)."""
        Move = QAbstractItemView.CursorAction
        if cursorAction in (Move.MoveHome, Move.MoveEnd):
            model, root = self.model(), self.rootIndex()
            rows = model.rowCount(root) if model is not None else 0
            if rows:
                row = 0 if cursorAction == Move.MoveHome else rows - 1
                return model.index(row, max(self.currentIndex().column(), 0), root)
        return super().moveCursor(cursorAction, modifiers)

    def _pick_current(self) -> bool:
        """Select the focused row if nothing is selected; True if it did."""
        current = self.currentIndex()
        if not current.isValid() or self.selectionModel().hasSelection():
            return False
        self.selectionModel().setCurrentIndex(current, _ROW)
        return True
