"""Where widgets made after their window sit in its Tab order.

A widget made after its window joins the end of the window's focus chain: the partner's
detail, built on first use (app/gui/partner_view.py), would have been reached by Tab only
after the log and audit panes, which were made after the place it is shown in.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget


def _takes_tab(widget: QWidget) -> bool:
    return widget.focusPolicy() != Qt.FocusPolicy.NoFocus


def follow_in_tab_order(anchor: QWidget, subtree: QWidget) -> None:
    """Put `subtree`'s focusable widgets, in their own order, right after the last
    focusable widget before `anchor` (a widget made where `subtree` is shown, when the
    window was) in the window's Tab order."""
    window = anchor.window()
    before = anchor.previousInFocusChain()
    while before is not None and before is not window:
        if _takes_tab(before) and not subtree.isAncestorOf(before):
            break
        before = before.previousInFocusChain()
    if before is None or before is window:
        return  # nothing takes Tab before it: the chain's end is its place too
    ours: list[QWidget] = []
    widget = window.nextInFocusChain()
    while widget is not None and widget is not window:
        if subtree.isAncestorOf(widget) and _takes_tab(widget):
            ours.append(widget)
        widget = widget.nextInFocusChain()
    previous = before
    for widget in ours:
        QWidget.setTabOrder(previous, widget)
        previous = widget
