"""What an item view repaints when its window or its keyboard focus changes (issue 13).

Qt paints the whole view each time: QAbstractItemView repaints its whole viewport on every
WindowActivate and WindowDeactivate (in case the palette draws a selection differently in
an inactive window) and on every FocusIn and FocusOut (QWidget's own focus handlers update
the whole widget besides). The app's theme draws a selection alike in an active and an
inactive window (its palette's Active and Inactive groups are equal; the style sheet has no
`:active` rule) and nothing in a cell depends on the view's focus except the current row's
(or cell's) focus frame, and the view's border (`:focus` in the style sheet). So each time a
dialog opened over the main window or closed (a verify's report), the partners list (2,000
rows), the log and the detail's tables were painted whole again: ~11 ms under a window
manager, in the same turn as the dialog's first paint (25 ms in all); the report's table was
painted twice as it opened (once for its first frame, once for its focus).

Here a window's (de)activation is left to the viewport, which follows QWidget's own rule (a
repaint when the palette's two groups differ), and a focus change repaints the view's frame
(border, header, scroll bars) and the current row's band, not the rows.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QRect, Qt
from PySide6.QtGui import QFocusEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView

ACTIVATION = (QEvent.Type.WindowActivate, QEvent.Type.WindowDeactivate)


def activation_changes_nothing(view: QAbstractItemView, event: QEvent) -> bool:
    """True when `event`, sent to `view`'s viewport, is its window's (de)activation and
    `view` draws alike in an active and an inactive window: `viewportEvent` then returns
    False (the viewport handles it) instead of repainting everything."""
    if event.type() not in ACTIVATION:
        return False
    palette = view.palette()
    return palette.isEqual(QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive)


def current_band(view: QAbstractItemView) -> QRect:
    """The current row across the viewport (where a focus frame is drawn); empty if none."""
    index = view.currentIndex()
    if not index.isValid():
        return QRect()
    cell = view.visualRect(index)
    return QRect(0, cell.top(), view.viewport().width(), cell.height() + 1)


def repaint_focus(view: QAbstractItemView, band: QRect) -> None:
    """The view's frame (its `:focus` border, header, scroll bars) and `band`."""
    inner = view.viewport().geometry()
    outer = view.rect()
    for strip in (  # four strips: a ring as one region is painted as its bounding rect
        QRect(outer.left(), outer.top(), outer.width(), inner.top() - outer.top()),
        QRect(outer.left(), inner.bottom() + 1, outer.width(), outer.bottom() - inner.bottom()),
        QRect(outer.left(), inner.top(), inner.left() - outer.left(), inner.height()),
        QRect(inner.right() + 1, inner.top(), outer.right() - inner.right(), inner.height()),
    ):
        if not strip.isEmpty():
            view.update(strip)
    if not band.isEmpty():
        view.viewport().update(band)


def focus_in(view: QAbstractItemView, event: QFocusEvent) -> None:
    """QAbstractItemView::focusInEvent without painting every row: a view given the focus
    by the keyboard with no current index makes its first item current (not selected)."""
    index = view.currentIndex()
    model = view.selectionModel()
    by_keys = event.reason() != Qt.FocusReason.MouseFocusReason
    if model is not None and not index.isValid() and by_keys:
        first = view.moveCursor(
            QAbstractItemView.CursorAction.MoveNext, Qt.KeyboardModifier.NoModifier
        )
        if first.isValid() and first.flags() & Qt.ItemFlag.ItemIsEnabled:
            scrolls = view.hasAutoScroll()
            view.setAutoScroll(False)
            model.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
            view.setAutoScroll(scrolls)
            index = first
    editable = index.isValid() and bool(index.flags() & Qt.ItemFlag.ItemIsEditable)
    view.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, editable)
    repaint_focus(view, current_band(view))
