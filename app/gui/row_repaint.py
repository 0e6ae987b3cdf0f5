"""A table view that repaints only the rows a row insert or removal moved (issue 13).

QTableView answers every row inserted or removed with a delayed items layout that repaints
its whole viewport, on a timer of its own: with 2,000 partners a re-registration (its new
row inserted, the replaced row filtered out) repainted the whole list two or three times,
~100 cells each, a few milliseconds each, the second time after the first had already
painted the same. Here the layout runs at once (one paint) and the viewport's update is
what the change moved: the rows from the first one inserted or removed down, nothing for
a change below the last row shown. A scroll the change caused (the list got shorter at its
end) is Qt's own scroll of the viewport; a reset, a sort or a filter change (layoutChanged)
is still the whole layout and repaint.

Only over a viewport that repaints what a scroll moves: the app's style sheet (a bordered
QTableView) makes it so. Over an opaque viewport Qt shifts the pixels on a scroll, and a
scroll right after a partial update (the log following a run, several entries a turn)
then showed rows from before it (session 23's screenshots, with the fill turned back on
to get those shifts): there the layout stays Qt's whole one. tests/gui/test_list_repaint.py
compares the screen's pixels with a fresh paint, styled and not.

When the current row is removed, Qt makes the next row current and scrolls to it before
the removal: at the end of the list that scrolled one row down, then the removal one row
back up, each a whole repaint. Here that current row is scrolled to after the removal,
once it sits where it will stay (and nothing moves when it is in view already).
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

from app.gui.row_focus import RowFocusView


class RowRepaintView(RowFocusView):
    """A row list (its focus framing the current row, row_focus) whose row inserts and
    removals repaint the rows they moved."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._moved_from: int | None = None
        self._current_moved = False
        self.whole_layouts = 0  # Qt's layouts that repainted everything (tests count them)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        old = self.model()
        if old is not None:
            old.rowsInserted.disconnect(self._on_model_rows_moved)
            old.rowsRemoved.disconnect(self._on_model_rows_moved)
        super().setModel(model)
        if model is not None:  # after the view's and its headers' own connections
            model.rowsInserted.connect(self._on_model_rows_moved)
            model.rowsRemoved.connect(self._on_model_rows_moved)

    def rowsAboutToBeRemoved(
        self, parent: QModelIndex | QPersistentModelIndex, start: int, end: int
    ) -> None:
        """Qt's own (a removed current row hands over to the next), without its scroll."""
        if not self.hasAutoScroll():
            super().rowsAboutToBeRemoved(parent, start, end)
            return
        current = self.currentIndex()
        self._current_moved = current.isValid() and start <= current.row() <= end
        self.setAutoScroll(False)
        try:
            super().rowsAboutToBeRemoved(parent, start, end)
        finally:
            self.setAutoScroll(True)

    def _on_model_rows_moved(
        self, parent: QModelIndex | QPersistentModelIndex, first: int, _last: int
    ) -> None:
        if parent.isValid():
            return
        self._moved_from = first
        # the layout Qt has just scheduled, now: its timer came after a repaint that the
        # rows' move or the selection had already asked, and painted everything again
        self.executeDelayedItemsLayout()
        self._moved_from = None  # no layout was pending (hidden view): none is partial
        if self._current_moved:
            self._current_moved = False
            current = self.currentIndex()
            if current.isValid() and self.isVisible():
                self.scrollTo(current)  # as Qt would have, where the row now is

    def scrolls_by_shifting(self) -> bool:
        """Qt would shift the viewport's pixels on a scroll (an opaque viewport)."""
        viewport = self.viewport()
        return viewport.autoFillBackground() or viewport.testAttribute(
            Qt.WidgetAttribute.WA_OpaquePaintEvent
        )

    def doItemsLayout(self) -> None:
        first = self._moved_from
        self._moved_from = None
        if first is None or self.scrolls_by_shifting():
            self.whole_layouts += 1
            super().doItemsLayout()
            return
        # QAbstractItemView's layout without its whole-viewport update (QTableView's adds
        # the vertical header's updates, held while rows are removed)
        self.updateGeometries()
        header = self.verticalHeader()
        if not header.updatesEnabled():
            header.setUpdatesEnabled(True)
        viewport = self.viewport()
        rows = self.model().rowCount()
        if first < rows:  # negative above the view: everything shown moved
            top = self.rowViewportPosition(first)
        elif rows:  # the last rows removed: the room they leave below the last one
            top = self.rowViewportPosition(rows - 1) + self.rowHeight(rows - 1)
        else:
            top = 0
        top = max(0, top)
        if top < viewport.height():
            viewport.update(0, top, viewport.width(), viewport.height() - top)
