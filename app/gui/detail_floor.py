"""How wide the partner's detail is in the splitter: a floor that its content never moves.

The detail's minimum width once followed its content (labels, pills, token columns), so
selecting a partner, a handshake and a verify resized the splitter, and with it the
2,000-partner list beside it: a whole repaint of the list in the same loop turn as the
run's step (issue 13, target 4). Now only the person moves the split (dragging it, resizing
the window); the floor is measured on sample texts, never on what is shown.

The detail itself is built on first use (issue 13, target 1: its tabs cost ~25 ms of the
start and nothing is selected then), so the floor cannot be read off it: it is measured on
a few sample widgets made for the measure and never shown (the head row's title and pills,
a table, the drift table, a tab widget, a scroll bar), with the app's fonts and style
sheet, and is the same number before and after the detail exists.
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QScrollBar, QTableView, QTabWidget, QWidget
from shiboken6 import delete

from app.gui.first_paint import after_first_paint
from app.gui.theme import mono_font

TOKEN_TABLE_PEEK = 40  # px of the token table's last column shown when the detail is narrow
# the widest usual cell of each token column but the last (fingerprint, by whom, state,
# created this year): the table's minimum width, whatever tokens it shows
TOKEN_SAMPLES = ("B·3f9c2a", "the partner", "superseded", "30 Dec 16:10")
CELL_MARGINS = 12  # a cell's and a header section's own padding, both sides
HEAD_SAMPLES = ("NL-SBX", "Sandbox", "We are Receiver")  # the title, then the first two pills
# the detail's page (app/gui/partner_view.py) and its tab pages: margins and spacing
DETAIL_FRAME = 1  # the detail's scroll area's border (resources/style.qss): its focus frame
# inside that border: 12 and 8 px from the detail's edges, as before it had one
DETAIL_MARGINS = (12 - DETAIL_FRAME, 8 - DETAIL_FRAME, 12 - DETAIL_FRAME, 8 - DETAIL_FRAME)
DETAIL_SPACING = 10
HEAD_SPACING = 6  # between the head row's title and pills: three pills share a 1024 px window
TAB_PAGE_SIDES = 8  # the Credentials page's and the Health tab's left (and right) margin
_PROBE_PAGE = 1000  # a page wider than any tab bar: what the tab widget adds to it is its frame


class Floor(NamedTuple):
    """The floor's parts, each measured on samples."""

    head: int  # the head row: title and pills, within the detail's margins
    content: int  # the token and drift tables in their tab pages, within the margins
    bar: int  # the vertical scroll bar beside them
    tokens: int  # the token table's minimum width

    @property
    def width(self) -> int:
        return max(self.head, self.content) + self.bar


class DetailFloor:
    """The detail's width in the splitter: the widest of what its content needs with no
    partner shown (the token table's minimum on sample cells, `token_table_floor`; the
    drift table's from its headers and samples; each in its tab page and the tab widget,
    within the detail's margins) and the head row on sample texts (`head_floor`), plus
    the scroll bar. Taken once, again when the font or the style changes (`forget`).
    Content that ever needs more is cut at the detail's right edge until the person widens
    it (the status pill wraps instead); the splitter stays.
    tests/gui/test_detail_on_first_use.py holds the built detail to it.

    The drift table's part (the Health tab's module, and the first use of Qt's QStyle
    type from Python: ~15 ms) is added after the window's first paint (`take_drift`),
    before anyone can select a partner: with the usual fonts the head row is wider and
    nothing moves; where it is not, the split settles once, then."""

    def __init__(self) -> None:
        self._taken: tuple[str, Floor] | None = None  # (the font it was taken with, the floor)
        self.complete = False  # the drift table's part is in

    def width(self, view: QWidget) -> int:
        """The floor for `view`'s font (measured on first use)."""
        return self.parts(view).width

    def parts(self, view: QWidget) -> Floor:
        key = view.font().key()
        if self._taken is None or self._taken[0] != key:
            self._taken = (key, measure_floor(drift=self.complete))
        return self._taken[1]

    def take_drift(self, view: QWidget) -> None:
        """Add the drift table's part (once); `view` is laid out again if it changed."""
        if self.complete:
            return
        before = self.width(view)
        self.complete = True
        self._taken = None
        if self.width(view) != before:
            view.updateGeometry()

    def take_drift_after_first_paint(self, view: QWidget) -> None:
        """`take_drift` once `view` has painted, a turn later: after the app's wait for
        its window's first paint has ended (app/gui/app.py)."""
        after_first_paint(view, lambda: QTimer.singleShot(0, view, lambda: self.take_drift(view)))

    def forget(self) -> None:
        self._taken = None


def measure_floor(drift: bool = True) -> Floor:
    """The floor's parts on sample widgets that are never shown (without the drift table's
    part when `drift` is false)."""
    samples = QWidget()  # never shown; deleted at once (the drift table's own signal
    try:  # connections would keep it, and its row-fitting timer, alive)
        return _measure(samples, drift)
    finally:
        delete(samples)


def _measure(samples: QWidget, with_drift: bool) -> Floor:
    from app.gui.models import CredentialsModel
    from app.gui.widgets import Pill, WrappingPill

    # as in PartnerView._build_detail
    title = QLabel(samples)
    title.setObjectName("PartnerTitle")
    pills = (Pill("Sandbox", "info", samples), Pill(parent=samples), WrappingPill(parent=samples))
    for label in (title, *pills):
        label.ensurePolished()  # the style sheet's fonts and padding
    sides = DETAIL_MARGINS[0] + DETAIL_MARGINS[2] + 2 * DETAIL_FRAME
    head = head_floor(title, pills, HEAD_SPACING, sides)
    # a table as the token table is when its minimum is set: made, not polished yet
    tokens = token_table_floor(QTableView(samples), CredentialsModel.HEADERS)
    page = tokens
    if with_drift:
        from app.gui.health_tab import drift_table

        drift = drift_table()
        drift.setParent(samples)
        drift.ensurePolished()
        page = max(tokens, drift.minimumSizeHint().width())
    tabs = QTabWidget(samples)
    probe = QWidget()
    probe.setMinimumWidth(_PROBE_PAGE)
    tabs.addTab(probe, "")
    tabs.ensurePolished()
    frame = tabs.minimumSizeHint().width() - _PROBE_PAGE
    bar = QScrollBar(Qt.Orientation.Vertical, samples)
    bar.ensurePolished()
    content = sides + frame + page + 2 * TAB_PAGE_SIDES
    return Floor(head, content, bar.sizeHint().width(), tokens)


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


def head_floor(title: QLabel, pills: tuple[QLabel, ...], spacing: int, sides: int) -> int:
    """The head row's width with its usual longest texts, the status pill's being the
    widest stored status ("Unregistered": one word, it cannot wrap; a "Registered" floor
    cut it at the detail's edge). A status with a finding ("Registered · TOKEN_C refused")
    wraps inside its pill instead (see DetailFloor)."""
    from app.gui.partner_cells import STATUS_TEXT

    status = max(STATUS_TEXT.values(), key=pills[-1].fontMetrics().horizontalAdvance)
    width = title.fontMetrics().horizontalAdvance(HEAD_SAMPLES[0])
    for pill, sample in zip(pills, (*HEAD_SAMPLES[1:], status), strict=True):
        metrics = pill.fontMetrics()
        chrome = pill.sizeHint().width() - metrics.horizontalAdvance(pill.text())
        width += chrome + metrics.horizontalAdvance(sample)
    return width + len(pills) * max(spacing, 0) + sides
