"""A row list's keyboard focus drawn around the whole current row, not one cell.

Qt's Fusion marks the current cell of a row table with a focus rectangle of its own (a
translucent fill): on a selected row that read as a second, darker blue block in the
middle of the row (session 22 walk), as if one cell were picked. The style sheet drops the
per-cell outline for these views (`QTableView[rowFocus="true"] { outline: 0; }`) and the
view draws one thin frame around the whole current row instead, in the selection's text
colour on a selected row (the accent otherwise), while the view has the keyboard focus (as
Qt marked the current cell: however the focus came, so arrow keys say where they start).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QFocusEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QTableView, QWidget

from app.gui.focus_paint import activation_changes_nothing, focus_in, repaint_focus

Index = QModelIndex | QPersistentModelIndex


class RowFocusView(QTableView):
    """A table view whose keyboard focus frames the current row as a whole."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("rowFocus", True)  # read when first polished: no restyle here

    def row_rect(self, row: int) -> QRect:
        """The current row's band across the viewport (empty when not shown)."""
        if row < 0:
            return QRect()
        top = self.rowViewportPosition(row)
        height = self.rowHeight(row)
        if top < 0 and top + height <= 0:
            return QRect()
        return QRect(0, top, self.viewport().width(), height)

    def shows_row_focus(self) -> bool:
        return self.hasFocus() and self.currentIndex().isValid()

    def viewportEvent(self, event: QEvent) -> bool:
        """Not painted whole when the window is (de)activated (`app.gui.focus_paint`)."""
        if activation_changes_nothing(self, event):
            return False
        return super().viewportEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.shows_row_focus():
            return
        current = self.currentIndex()
        band = self.row_rect(current.row())
        if band.isEmpty() or not event.rect().intersects(band):
            return
        palette = self.palette()
        selected = self.selectionModel().isSelected(current)
        colour = (
            palette.color(palette.ColorRole.HighlightedText)
            if selected
            else palette.color(palette.ColorRole.Highlight)
        )
        painter = QPainter(self.viewport())
        pen = QPen(colour)
        pen.setWidth(1)
        pen.setStyle(Qt.PenStyle.DotLine if selected else Qt.PenStyle.SolidLine)
        painter.setPen(pen)
        painter.drawRect(band.adjusted(1, 1, -2, -2))
        painter.end()

    def currentChanged(self, current: Index, previous: Index) -> None:
        """Qt repaints the two cells; the frame spans their rows.

        The viewport is asked only for a valid row: `setModel` calls this with two invalid
        indexes while the window is built, and the first `viewport()` from Python makes
        shiboken look for the plain QWidget's most derived type among every QWidget
        class, making ~55 of their enum types (~10 ms of the UI thread before the first
        paint, issue 13); the first detail built ahead after the paint pays it instead."""
        super().currentChanged(current, previous)
        for index in (previous, current):
            if index.isValid():
                self.viewport().update(self.row_rect(index.row()))

    def focusInEvent(self, event: QFocusEvent) -> None:
        """The border and the current row's frame, not every row (`app.gui.focus_paint`)."""
        focus_in(self, event)
        self.viewport().update(self.row_rect(self.currentIndex().row()))

    def focusOutEvent(self, event: QFocusEvent) -> None:
        repaint_focus(self, self.row_rect(self.currentIndex().row()))
