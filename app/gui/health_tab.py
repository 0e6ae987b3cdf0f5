"""The partner detail's Health tab: what to do, the last verify report, the drift history.

It only draws what the vault and the controller know (the last verify run's report, the
snapshots with their drift, the health findings); its buttons trigger the window's own
actions (Verify, Accept drift, Suspected compromise), so a click and a shortcut are one path.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import (
    QAction,
    QBrush,
    QFocusEvent,
    QFont,
    QFontMetricsF,
    QPainter,
    QPalette,
    QResizeEvent,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.ages import certificate_expiry, token_age
from app.engine.connection_health import ConnectionFacts
from app.engine.health import Health
from app.gui.focus_paint import (
    activation_changes_nothing,
    current_band,
    focus_in,
    repaint_focus,
)
from app.gui.models import short_time
from app.gui.theme import level_colour
from app.gui.url_cells import before_after_item, copy_rows_on_ctrl_c, partner_base
from app.gui.widgets import muted
from app.vault import PartnerRecord
from app.vault.snapshots import Snapshot

STATUS_LEVEL = {"pass": "info", "warn": "warning", "fail": "error", "skip": "debug"}


LAYOUTS_KEPT = 400  # laid-out cells a report's delegate keeps (a screenful, twice over)
MARGINS_KEPT = 256  # text margins a delegate keeps, one per cell size and kind


class _WrappedCells(QStyledItemDelegate):
    """Cells shown whole: text wraps at word boundaries, or anywhere in a word longer than
    a line (an endpoint URL), and is measured in the rectangle it is painted in.

    Qt measured wrapped text in the column's whole width while the stylesheet's
    `QTableView::item` padding narrows where it is painted, and it never breaks a URL: a
    detail one word too long was drawn "… with a ..." and a drifted endpoint
    "http://127.0.0.1:3..." (issue 9's health screenshots).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._kept: OrderedDict[tuple[str, str, int], tuple[QTextLayout, float]] = OrderedDict()
        self._margins: dict[tuple[int, Any, int, int], tuple[int, int, int, int]] = {}

    def _text_rect(self, option: QStyleOptionViewItem) -> QRect:
        """Where the style paints the cell's text. The style is asked once per cell size
        and kind (its margins do not move with the cell): asked per cell, with the style
        sheet's padding, it was a quarter of a report's repaint (issue 13)."""
        view = option.widget
        style = view.style() if view is not None else QApplication.style()
        cell = option.rect
        key = (id(style), option.features, cell.width(), cell.height())
        margins = self._margins.get(key)
        if margins is None:
            rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, view)
            margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
            rect = rect.adjusted(margin, 0, -margin, 0)
            margins = (rect.left() - cell.left(), rect.top() - cell.top(),
                       rect.right() - cell.right(), rect.bottom() - cell.bottom())  # fmt: skip
            if len(self._margins) >= MARGINS_KEPT:
                self._margins.clear()
            self._margins[key] = margins
        return cell.adjusted(*margins)

    def _layout(self, text: str, font: QFont, width: int) -> tuple[QTextLayout, float]:
        """The cell's text laid out at `width`; the last LAYOUTS_KEPT are kept, so a row
        measured as it is added is not laid out again to be measured once more or painted
        (a report refilled in an open dialog: 15-22 ms turns of the loop, issue 13)."""
        key = (text, font.key(), width)
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            return kept
        made = self._laid_out(text, font, width)
        self._kept[key] = made
        if len(self._kept) > LAYOUTS_KEPT:
            self._kept.popitem(last=False)
        return made

    @staticmethod
    def _laid_out(text: str, font: QFont, width: int) -> tuple[QTextLayout, float]:
        layout = QTextLayout(text, font)
        wrap = QTextOption()
        wrap.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(wrap)
        layout.beginLayout()
        height = 0.0
        while (line := layout.createLine()).isValid():
            line.setLineWidth(max(1, width))
            line.setPosition(QPointF(0, height))
            height += line.height()
        layout.endLayout()
        return layout, height

    def _base_hint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """Qt's own size for the cell: its least height (a line, an icon)."""
        return super().sizeHint(option, index)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = self._base_hint(option, index)
        measured = QStyleOptionViewItem(option)
        self.initStyleOption(measured, index)
        if not measured.text:
            return hint
        measured.rect.setHeight(1000)
        text = self._text_rect(measured)
        _, height = self._layout(measured.text, measured.font, text.width())
        padding = measured.rect.height() - text.height()
        return QSize(hint.width(), max(hint.height(), math.ceil(height) + padding))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        cell = QStyleOptionViewItem(option)
        self.initStyleOption(cell, index)
        text, cell.text = cell.text, ""
        view = cell.widget
        style = view.style() if view is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, cell, painter, view)  # no text
        if not text:
            return
        cell.text = text
        rect = self._text_rect(cell)
        layout, height = self._layout(text, cell.font, rect.width())
        selected = bool(cell.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        colour = cell.palette.color(role)  # the item's foreground (`initStyleOption` put it)
        painter.save()
        painter.setPen(colour)
        painter.setClipRect(cell.rect)
        top = rect.top() + max(0.0, (rect.height() - height) / 2)
        layout.draw(painter, QPointF(rect.left(), top))
        painter.restore()

    def one_line_width(self, view: QAbstractItemView, text: str) -> int:
        """The width of a cell of `view` that paints `text` on one line: the style's item
        size, padding and the text margins `_text_rect` takes off included."""
        option = QStyleOptionViewItem()
        view.initViewItemOption(option)
        option.text = text
        option.features |= QStyleOptionViewItem.ViewItemFeature.HasDisplay
        style = view.style()
        size = style.sizeFromContents(QStyle.ContentsType.CT_ItemViewItem, option, QSize(), view)
        return size.width()


URL_LINES = 3  # the most lines one URL of a drift cell takes: longer, elided in the middle
LINE_BREAK = "\u2028"  # a cell's "\n" as Qt's delegates hand it over (QChar::LineSeparator)


class _UrlCells(_WrappedCells):
    """The drift table's Before → after: each URL (shown below the partner's base, see
    app/gui/url_cells.py) on lines of its own, URL_LINES at most, elided in the middle past
    them; the whole URLs are the cell's tooltip and what Ctrl+C copies. In two columns of
    their own at 1024 px, URLs took five lines or more each, and a module's name ("locations",
    "credentials") was split inside the word."""

    def lines(self, view: QAbstractItemView, index: QModelIndex) -> list[str]:
        """The lines the cell at `index` of `view` shows now, as it paints them."""
        option = QStyleOptionViewItem()
        view.initViewItemOption(option)
        option.rect = view.visualRect(index)
        self.initStyleOption(option, index)
        layout, _ = self._layout(option.text, option.font, self._text_rect(option).width())
        text = layout.text()
        drawn = (layout.lineAt(i) for i in range(layout.lineCount()))
        return [text[ln.textStart() : ln.textStart() + ln.textLength()] for ln in drawn]

    def _base_hint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """One line's height: Qt's own wraps the whole URL (the cap is this delegate's)."""
        one_line = QStyleOptionViewItem(option)
        one_line.features &= ~QStyleOptionViewItem.ViewItemFeature.WrapText
        return super()._base_hint(one_line, index)

    @staticmethod
    def _laid_out(text: str, font: QFont, width: int) -> tuple[QTextLayout, float]:
        parts = text.split(LINE_BREAK)
        return _WrappedCells._laid_out(
            LINE_BREAK.join(_UrlCells._fitted(part, font, width) for part in parts), font, width
        )

    @staticmethod
    def _fitted(text: str, font: QFont, width: int) -> str:
        """`text` whole if it wraps over URL_LINES at most at `width`, else elided in the
        middle until it does."""
        if _WrappedCells._laid_out(text, font, width)[0].lineCount() <= URL_LINES:
            return text
        metrics = QFontMetricsF(font)
        room = width * URL_LINES - metrics.averageCharWidth()
        shown = text
        while room > metrics.averageCharWidth():
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, room)
            if _WrappedCells._laid_out(shown, font, width)[0].lineCount() <= URL_LINES:
                break
            room -= metrics.averageCharWidth()
        return shown


# row adding and measuring per turn of the event loop: the slice's rows are painted in the
# same turn (the report's delegate lays their text out), 5 ms of slice made 12-19 ms turns
FIT_BUDGET_S = 0.003


class _WrappingTable(QTableWidget):
    """Rows follow their columns' widths: a column dragged, or stretched with the window.

    Measuring a wrapped row lays out each of its cells' text (~0.1 ms a cell), so a 40-row
    report took 12-16 ms a pass, and a resize or each column width set did a whole pass.
    `fit_rows` coalesces those into one pass that measures rows for FIT_BUDGET_S per turn
    of the loop, the rows in view first, then the rest. (Not a row_repaint view: a report
    filled at once, `fill_now`, adds its rows one by one in one turn, and a layout per row
    instead of Qt's one per turn measured every row again each time: 60 ms turns.)
    """

    def __init__(self, rows: int, columns: int) -> None:
        super().__init__(rows, columns)
        self._todo: list[int] | None = None  # rows still to measure, in this order
        self._measured: tuple[int, ...] | None = None  # the widths of the last whole pass
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_some)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_rows()

    def viewportEvent(self, event: QEvent) -> bool:
        """Not painted whole when the window is (de)activated (`app.gui.focus_paint`)."""
        if activation_changes_nothing(self, event):
            return False
        return super().viewportEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        """The border and the current cell's row, not every row: the report's table was
        painted twice as its dialog opened (its first frame, then its focus)."""
        focus_in(self, event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        repaint_focus(self, current_band(self))

    def widths(self) -> tuple[int, ...]:
        """The columns' widths: a row's height depends on nothing else."""
        header = self.horizontalHeader()
        return tuple(header.sectionSize(column) for column in range(self.columnCount()))

    def measured(self) -> bool:
        """Every row is measured at the columns' widths now (a row added is measured as it
        comes; a width changed starts a pass)."""
        return not self.fitting() and self._measured == self.widths()

    def fit_rows(self) -> None:
        """Measure every row again, a slice at a time (the rows in view first); nothing to
        do when no column's width changed (a dialog made taller, shown again)."""
        if self.measured():
            return
        self._todo = None
        self._fit_timer.start()

    def fit_now(self) -> None:
        """Every row measured before this returns (a window about to be seen first)."""
        if self.measured():
            return
        self._fit_timer.stop()
        self._todo = None
        self.resizeRowsToContents()
        self._measured = self.widths()

    def fitting(self) -> bool:
        """Rows are still being measured (their height follows within a few turns)."""
        return self._fit_timer.isActive()

    def _fit_some(self) -> None:
        if self._todo is None:
            count = self.rowCount()
            top = max(0, self.rowAt(0))
            bottom = self.rowAt(self.viewport().height())
            bottom = count - 1 if bottom < 0 else bottom
            order = [*range(top, bottom + 1), *range(bottom + 1, count), *range(top)]
            self._todo = order[::-1]  # popped from the end: the rows in view first
        deadline = time.perf_counter() + FIT_BUDGET_S
        while self._todo:
            row = self._todo.pop()
            if row < self.rowCount():
                self.resizeRowToContents(row)
            if time.perf_counter() > deadline:
                break
        if self._todo:
            self._fit_timer.start()
        else:
            self._todo = None
            self._measured = self.widths()


class _DriftTable(_WrappingTable):
    """The drift history, as wide as fixed texts say, whatever rows it shows.

    When, Snapshot and Change are as wide as their header or a sample (`SAMPLES`: a date,
    its time wrapping below it; the longest snapshot source; a change's long word), longer
    text wrapping in its cell; Before → after (two endpoint URLs, one below the other) has
    the rest, at least its header. Every width is measured with the style's fonts
    and padding when asked. The minimum is the sum of those: the detail's
    floor (app/gui/detail_floor.py) is taken on it once, so rows arriving later must not
    need more. (A minimum summed from the stretched headers when rows filled was both too
    small, cutting "Snapshot", and too late for the floor.)
    """

    SAMPLES = ("2000-12-31", "registration", "(RECEIVER)")

    def __init__(self, headers: list[str]) -> None:
        super().__init__(0, len(headers))
        header = self.horizontalHeader()
        for column in range(len(headers)):
            fixed = column < len(self.SAMPLES)
            mode = (
                QHeaderView.ResizeMode.ResizeToContents if fixed else QHeaderView.ResizeMode.Stretch
            )
            header.setSectionResizeMode(column, mode)

    def settle_header(self) -> None:
        """Stretched columns only: a stretched last section falls back to a width of its own
        (100 px or more) where the others leave less, so the table scrolled sideways."""
        self.horizontalHeader().setStretchLastSection(False)

    def sizeHintForColumn(self, column: int) -> int:
        """A sample's width for the first columns (the header asks this for them), never
        their rows': Qt takes the wider of this and the header's text."""
        delegate = self.itemDelegate()
        if column >= len(self.SAMPLES) or not isinstance(delegate, _WrappedCells):
            return super().sizeHintForColumn(column)
        return delegate.one_line_width(self, self.SAMPLES[column]) + int(self.showGrid())

    def minimumSizeHint(self) -> QSize:
        header = self.horizontalHeader()
        heads = [header.sectionSizeFromContents(c).width() for c in range(self.columnCount())]
        fixed = len(self.SAMPLES)
        width = sum(max(self.sizeHintForColumn(c), heads[c]) for c in range(fixed))
        width += max(heads[fixed:], default=0) * (self.columnCount() - fixed)
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(width + bar + 2 * self.frameWidth(), super().minimumSizeHint().height())


DRIFT_HEADERS = ("When", "Snapshot", "Change", "Before → after")
CHANGED = DRIFT_HEADERS.index("Before → after")


def drift_table() -> _DriftTable:
    """The Health tab's drift history, empty (the detail's floor measures one too:
    app/gui/detail_floor.py)."""
    drift = _DriftTable(list(DRIFT_HEADERS))
    _table(list(DRIFT_HEADERS), "Drift history", drift)
    drift.setItemDelegateForColumn(CHANGED, _UrlCells(drift))
    copy_rows_on_ctrl_c(drift)
    drift.settle_header()
    return drift


def _table(headers: list[str], name: str, table: _WrappingTable | None = None) -> _WrappingTable:
    table = table if table is not None else _WrappingTable(0, len(headers))
    table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
    table.setItemDelegate(_WrappedCells(table))
    table.horizontalHeader().sectionResized.connect(lambda *_: table.fit_rows())
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(True)
    table.setAccessibleName(name)
    return table


class VerifyReportDialog(QDialog):
    """The last verify report of one partner, with room to read each fix."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Verify report")
        self.resize(940, 560)
        layout = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.report = _table(["Status", "Check", "Detail", "Fix"], "Verify report")
        # its rows are measured while the dialog is hidden (`open_later`): a scroll bar that
        # came with them would narrow the Fix column once shown, and every row be measured
        # again in the turn of the first paint
        self.report.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        for column, width in enumerate((60, 190, 340)):
            self.report.setColumnWidth(column, width)
        layout.addWidget(self.report, 1)
        self._shown: tuple[int | None, str | None, int] | None = None
        self._rows: list[_Row] = []  # what the report's rows show, in order; shown so far:
        self._todo: list[_Row] = []  # ... the rest, a slice per turn of the loop (_fill_some)
        self._opening = False  # shown once its rows are in (open_later)
        self._prepared = False
        self._fill_timer = QTimer(self)
        self._fill_timer.setSingleShot(True)
        self._fill_timer.setInterval(0)
        self._fill_timer.timeout.connect(self._on_fill_timer_timeout)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)

    def show_report(self, partner: PartnerRecord, facts: ConnectionFacts) -> None:
        """Fill the table with the report's checks (not again when it already shows them:
        every refresh of the partner's detail calls this while the dialog is open).

        A newer report of the partner shown keeps the rows that read the same and rewrites
        the others in place, all in this turn (no row of the older report stays beside the
        newer one's); only rows it adds come a slice per turn. Emptied and refilled, each
        verify's identical report repainted the whole table per slice and measured every
        row again (11-13 ms turns, issue 13). Another partner's report starts empty."""
        report = facts.verify_report or {}
        self.setWindowTitle(f"Verify report — {partner.ref}")
        self.title.setText(_summary(facts))
        checks = report.get("checks") or []
        shown = (partner.id, facts.verify_run_id, len(checks))
        if shown == self._shown and facts.verify_run_id is not None:
            return
        same_partner = self._shown is not None and self._shown[0] == partner.id
        self._shown = shown
        rows = [_row(check) for check in checks]
        if not same_partner:
            self._rows = []
            self.report.setRowCount(0)
        kept = min(len(rows), len(self._rows))
        for row in range(kept):
            if rows[row] != self._rows[row]:
                self._rewrite_row(row, self._rows[row], rows[row])
        if len(self._rows) > len(rows):
            self.report.setRowCount(len(rows))
        self._rows, self._todo = rows[:kept], rows[kept:]
        self._fill_some()

    def filling(self) -> bool:
        """Checks of the report are still being added (a slice per turn of the loop)."""
        return bool(self._todo)

    def prepare(self) -> None:
        """Lay the dialog out once, unseen, ahead of its first opening (issue 13).

        Never shown, its table had no width yet: rows added then were measured again when
        it opened, all in the turn of its first paint (the report opening at a verify's
        end: 25-35 ms). Laid out once (polished, sized, its columns at their widths), rows
        are measured as they are added, hidden, at the widths they are shown at."""
        if self._prepared or self.isVisible():
            return
        self._prepared = True
        self.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.show()
        self.hide()
        self.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, False)

    def open_later(self) -> None:
        """Show the dialog on a turn of its own once every row is added and measured
        (hidden, a slice per turn), so that turn only paints it."""
        if self.isVisible():
            self.raise_()
            return
        self._opening = True
        self._fill_timer.start()

    def opening(self) -> bool:
        """`open_later` was asked and the dialog is not shown yet."""
        return self._opening

    def fill_now(self) -> None:
        """Every check as a row before this returns (the dialog about to be seen first)."""
        self._fill_timer.stop()
        while self.filling():
            self._add_row()

    def _fill_some(self) -> None:
        """Add rows, each measured as it comes, for FIT_BUDGET_S; the rest next turn. The
        table grows by whole, measured rows: never a row without its text or cut."""
        deadline = time.perf_counter() + FIT_BUDGET_S
        while self.filling():
            self._add_row()
            if time.perf_counter() > deadline:
                break
        if self.filling() or self._opening:
            self._fill_timer.start()

    def _on_fill_timer_timeout(self) -> None:
        """The next slice; a dialog to open (`open_later`) is shown on the turn after its
        last rows, never in the turn that asked (a detail's refresh) nor with a slice."""
        if self._opening and not self.filling():
            self.show_now()
        else:
            self._fill_some()

    def show_now(self) -> None:
        """Shown with every row in and measured (the rows a prepared dialog measured hidden
        are not measured again: `_WrappingTable.fit_now`)."""
        self._opening = False
        self.fill_now()
        if not self.isVisible():  # its first frame shows every row whole
            # the rows' layout Qt left for a later turn, done hidden: else it repainted the
            # whole table again just after the first paint
            self.report.executeDelayedItemsLayout()
            self.show()
            self.report.fit_now()
        self.raise_()

    def _add_row(self) -> None:
        shown = self._todo.pop(0)
        row = len(self._rows)
        self._rows.append(shown)
        self.report.setRowCount(row + 1)
        for col, text in enumerate(shown.values):
            item = QTableWidgetItem(text)
            item.setToolTip(shown.tip)
            if col == 0:
                item.setForeground(QBrush(level_colour(shown.level)))
            self.report.setItem(row, col, item)
        self.report.resizeRowToContents(row)

    def _rewrite_row(self, row: int, was: _Row, now: _Row) -> None:
        """Only the cells that changed: Qt repaints those, and the row is measured again
        only when a text changed."""
        items = [self.report.item(row, col) for col in range(len(now.values))]
        for item, text, before in zip(items, now.values, was.values, strict=True):
            assert item is not None  # every row is added with its four items
            if text != before:
                item.setText(text)
            if now.tip != was.tip:
                item.setToolTip(now.tip)
            if item is items[0] and now.level != was.level:
                item.setForeground(QBrush(level_colour(now.level)))
        if now.values != was.values:
            self.report.resizeRowToContents(row)


class _Row(NamedTuple):
    """What one check's row shows."""

    values: tuple[str, str, str, str]  # status, check id, detail, fix
    tip: str
    level: str


def _row(check: dict[str, Any]) -> _Row:
    status = str(check.get("status", ""))
    values = (status.upper(), str(check.get("id", "")), str(check.get("detail", "")),
              str(check.get("fix", "")))  # fmt: skip
    tip = f"{check.get('title', '')} — {check.get('spec', '')}"
    return _Row(values, tip, STATUS_LEVEL.get(status, "info"))


def _summary(facts: ConnectionFacts) -> str:
    report = facts.verify_report or {}
    if not report.get("checks"):
        return "No verify run yet: Verify now runs the conformance checks (read-only)."
    summary = report.get("summary") or {}
    counts = ", ".join(f"{summary.get(s, 0)} {s}" for s in ("pass", "warn", "fail", "skip"))
    return (
        f"Last verify: {short_time(facts.last_verified)} · OCPI"
        f" {report.get('ocpi_version') or '?'} · {counts}"
    )


class HealthTab(QWidget):
    """Last verify summary, reminders, drift history and the health actions."""

    def __init__(
        self,
        verify_action: QAction,
        accept_action: QAction,
        compromise_action: QAction,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        self.report_title = muted()
        self.report_title.setWordWrap(True)
        layout.addWidget(self.report_title)
        self.reminders = muted()
        self.reminders.setWordWrap(True)
        self.reminders.setAccessibleName("Reminders")
        layout.addWidget(self.reminders)
        # two by two: in one row they made the detail 520 px wide at least, which left the
        # partners list of a 1024 px window no room for a whole name
        buttons = QGridLayout()
        self.verify_button = QPushButton("Ve&rify now")  # Alt+V: View menu
        self.report_button = QPushButton("Show r&eport…")
        self.accept_button = QPushButton("&Accept drift")
        self.compromise_button = QPushButton("Suspected co&mpromise…")  # Alt+C: Credentials
        for button, action in (
            (self.verify_button, verify_action),
            (self.accept_button, accept_action),
            (self.compromise_button, compromise_action),
        ):
            button.setToolTip(action.toolTip())
            button.clicked.connect(action.trigger)
        for index, button in enumerate((self.verify_button, self.report_button,
                                         self.accept_button, self.compromise_button)):  # fmt: skip
            buttons.addWidget(button, index // 2, index % 2)
        buttons.setColumnStretch(2, 1)
        layout.addLayout(buttons)
        self.report_button.clicked.connect(self.open_report)
        self._actions = (verify_action, accept_action, compromise_action)
        self.drift = drift_table()
        layout.addWidget(self.drift, 1)
        self._drift_rows: list[tuple[str, str, str, str | None, str | None]] | None = None
        self._drift_base = ""
        self.dialog = VerifyReportDialog(self)
        self._partner: PartnerRecord | None = None
        self._facts = ConnectionFacts()

    def show_partner(
        self,
        partner: PartnerRecord,
        health: Health | None,
        facts: ConnectionFacts | None,
        history: list[Snapshot],
    ) -> None:
        self._partner = partner
        self._facts = facts = facts or ConnectionFacts()
        self.report_title.setText(_summary(facts))
        reminders = []
        if facts.token_age_days is not None:
            reminders.append(token_age(facts.token_age_days))
        if facts.tls_expires_days is not None:
            reminders.append(certificate_expiry(facts.tls_expires_days))
        codes = {f.code for f in health.findings} if health is not None else set()
        if "token.rotation_due" in codes:
            reminders.append("rotation due")
        if "drift.open" in codes:
            reminders.append("drift not yet accepted")
        self.reminders.setText(" · ".join(reminders))
        self.report_button.setEnabled(bool((facts.verify_report or {}).get("checks")))
        self._fill_drift(history, partner_base(partner.versions_url))
        if self.dialog.isVisible():
            self.dialog.show_report(partner, facts)

    def open_report(self, later: bool = False) -> VerifyReportDialog:
        """Show the partner's last report (`later`: on a turn of its own once its rows are
        in, see `VerifyReportDialog.open_later`; else at once, a click's answer)."""
        if self._partner is not None:
            self.dialog.show_report(self._partner, self._facts)
        if later:
            self.dialog.open_later()
        else:
            self.dialog.show_now()
        return self.dialog

    def _fill_drift(self, history: list[Snapshot], base: str = "") -> None:
        """One row per drift item (its URLs short below the partner's `base`)."""
        rows: list[tuple[str, str, str, str | None, str | None]] = []
        for snapshot in history:
            label = snapshot.source + (" · baseline" if snapshot.baseline else "")
            if not snapshot.drift:
                rows.append((short_time(snapshot.taken), label, "no change", None, None))
            for item in snapshot.drift:
                before, after = item.get("before"), item.get("after")
                rows.append((short_time(snapshot.taken), label, str(item.get("what", "")),
                             None if before is None else str(before),
                             None if after is None else str(after)))  # fmt: skip
        if (rows, base) == (self._drift_rows, self._drift_base):  # only when it changed
            return
        self._drift_rows, self._drift_base = rows, base
        self.drift.setRowCount(len(rows))
        for row, (when, label, what, before, after) in enumerate(rows):
            for col, text in enumerate((when, label, what)):
                self.drift.setItem(row, col, QTableWidgetItem(text))
            changed = before is not None or after is not None  # a drift item, not "no change"
            cell = before_after_item(before, after, base) if changed else QTableWidgetItem("")
            self.drift.setItem(row, CHANGED, cell)
        self.drift.resizeRowsToContents()  # its width is its own (_DriftTable), not the rows'
