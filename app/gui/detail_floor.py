"""How wide the partner's detail is in the splitter: a floor that its content never moves.

The detail's minimum width once followed its content (labels, pills, token columns), so
selecting a partner, a handshake and a verify resized the splitter, and with it the
2,000-partner list beside it: a whole repaint of the list in the same loop turn as the
run's step (issue 13, target 4). Now only the person moves the split (dragging it, resizing
the window); the floor is measured on sample texts, never on what is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QLayout, QScrollArea, QTableView, QWidget

from app.gui.theme import mono_font

TOKEN_TABLE_PEEK = 40  # px of the token table's last column shown when the detail is narrow
# the widest usual cell of each token column but the last (fingerprint, by whom, state,
# created this year): the table's minimum width, whatever tokens it shows
TOKEN_SAMPLES = ("B·3f9c2a", "the partner", "superseded", "30 Dec 16:10")
CELL_MARGINS = 12  # a cell's and a header section's own padding, both sides
HEAD_SAMPLES = ("NL-SBX", "Sandbox", "We are Receiver", "Registered")  # title, then pills


class DetailScroll(QScrollArea):
    """Scrolls up and down; as narrow as the detail's floor, whatever it shows.

    The floor is the content's minimum with no partner shown (the token table's minimum on
    sample cells, `token_table_floor`; the drift table's from its headers and samples), or
    the head row on sample texts (`head_floor`) if wider; taken once the window is shown
    (the detail is complete: the Health tab joins it after it is built) with its content
    polished (fonts final), and again when the font or style changes. Content that ever
    needs more is cut at the detail's right edge until the person widens it (the status
    pill wraps instead); the splitter stays.
    """

    def __init__(self) -> None:
        super().__init__()
        self._floor: tuple[str, int] | None = None  # (fonts and style it was taken with, width)
        self.head: tuple[QLabel, ...] = ()  # the head row: the title, then the pills

    def floor(self) -> int:
        """The width given to the splitter: the empty content's minimum (see the class)."""
        inner = self.widget()
        if inner is None:
            return super().minimumSizeHint().width()
        key = f"{self.font().key()}|{self.style().name()}"
        if self._floor is not None and self._floor[0] == key:
            return self._floor[1]
        bar = self.verticalScrollBar().sizeHint().width()
        head = head_floor(self.head[0], self.head[1:]) if self.head else 0
        width = max(_fresh_minimum(inner), head) + bar
        # before the window shows, the detail may lack a tab and its fonts may not be final
        if self.window().isVisible() and inner.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
            self._floor = (key, width)
        return width

    def minimumSizeHint(self) -> QSize:
        return QSize(self.floor(), super().minimumSizeHint().height())


def _fresh_minimum(inner: QWidget) -> int:
    """The content's minimum width measured now. A child whose minimum changed while it was
    hidden (a tab not shown yet, a window not shown yet) left its old size in its layout's
    caches: the floor once missed the Health tab's drift table that way (inner 423 px with
    its tabs needing 456)."""
    for child in inner.findChildren(QWidget):
        child.updateGeometry()  # drops the size its layout item remembered
    for layout in inner.findChildren(QLayout):
        layout.invalidate()
    return inner.minimumSizeHint().width()


def token_table_floor(table: QTableView, headers: tuple[str, ...]) -> int:
    """The token table's minimum width, from its headers and sample cells (never from the
    tokens shown): every column but the last (Used · ended) whole, and 40 px of that one."""
    header = table.horizontalHeader()
    mono = QFontMetrics(mono_font())
    plain = table.fontMetrics()
    lead = 0
    for column, sample in enumerate(TOKEN_SAMPLES[: len(headers) - 1]):
        cell = (mono if column == 0 else plain).horizontalAdvance(sample) + CELL_MARGINS
        title = header.fontMetrics().horizontalAdvance(headers[column]) + CELL_MARGINS
        lead += max(cell, title)
    return min(lead + TOKEN_TABLE_PEEK, 620) + 2 * table.frameWidth() + 2


def head_floor(title: QLabel, pills: tuple[QLabel, ...]) -> int:
    """The head row's width with its usual longest texts: a status with a finding
    ("Registered · TOKEN_C refused") may need more (see DetailScroll)."""
    page = title.parentWidget()
    layout = page.layout() if page is not None else None
    margins = layout.contentsMargins() if layout is not None else None
    width = title.fontMetrics().horizontalAdvance(HEAD_SAMPLES[0])
    for pill, sample in zip(pills, HEAD_SAMPLES[1:], strict=True):
        metrics = pill.fontMetrics()
        chrome = pill.sizeHint().width() - metrics.horizontalAdvance(pill.text())
        width += chrome + metrics.horizontalAdvance(sample)
    spacing = max(layout.spacing(), 0) if layout is not None else 0
    sides = margins.left() + margins.right() if margins is not None else 0
    return width + len(pills) * spacing + sides
