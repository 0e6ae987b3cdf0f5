"""The log pane's models: one run's transcript entries as rows, and the level filter.

Rows are appended as entries arrive (beginInsertRows, never a reset of the model); what a
row shows is computed once per entry (`_LogRow`), its colours and fonts once per palette,
and a painted cell's roles are answered in one call (`fill`, from the proxy's multiData:
Qt's proxy asked data() seven times a cell, a QColor made for each). The partner and token
models live in `models`, with the item roles both share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from PySide6.QtCore import QModelIndex, QModelRoleData, QObject, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QFont

from app.gui import entries as E
from app.gui.models import (
    SPANS_INDEX,
    ConfusionRole,
    EntryRole,
    Index,
    LevelRole,
    RoleData,
    RowsModel,
)
from app.gui.theme import Colours, colours, level_colour, mono_font

_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_BACKGROUND = Qt.ItemDataRole.BackgroundRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_PAINTED = frozenset({_DISPLAY, _FOREGROUND, _BACKGROUND, _FONT})
# the painted cell's other roles (alignment, check state, decoration) are never set here
_NEVER = frozenset(
    {
        Qt.ItemDataRole.TextAlignmentRole.value,
        Qt.ItemDataRole.CheckStateRole.value,
        Qt.ItemDataRole.DecorationRole.value,
    }
)


@dataclass(frozen=True, slots=True)
class _LogRow:
    """An entry with what the view asks for, computed once when it arrives."""

    entry: E.Entry
    level: str
    confusion: bool
    cells: tuple[str, str, str]
    tooltip: str

    @classmethod
    def of(cls, entry: E.Entry) -> _LogRow:
        level = E.entry_level(entry)
        confusion = E.is_confusion(entry)
        text = E.summary(entry)
        if confusion:
            text += f"  —  Fix: {(E.diagnosis_of(entry) or {}).get('hint', '')}"
        cells = (
            str(entry.get("at", ""))[11:23],
            "TOKEN MIX-UP" if confusion else level.upper(),
            text,
        )
        return cls(entry, level, confusion, cells, E.explanation(entry) or E.summary(entry))


class LogModel(RowsModel):
    """Transcript entries of one run, appended as they arrive."""

    HEADERS = ("Time", "Level", "Event")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_LogRow] = []
        self.run_id: str | None = None
        self._mono = mono_font()
        self._mono_bold = mono_font()
        self._mono_bold.setBold(True)
        self._bold = QFont()
        self._bold.setBold(True)
        # (foreground, background, font) per row and column, made when first painted
        self._looks: list[tuple[tuple[Any, Any, Any], ...] | None] = []
        self._palette: Colours | None = None

    def reset(self, run_id: str | None, entries: Sequence[E.Entry] = ()) -> None:
        self.beginResetModel()
        self.run_id = run_id
        self._rows = [_LogRow.of(e) for e in entries]
        self._looks = [None] * len(self._rows)
        self.endResetModel()

    def append(self, entry: E.Entry) -> None:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(_LogRow.of(entry))
        self._looks.append(None)
        self.endInsertRows()

    def entry(self, row: int) -> E.Entry:
        return self._rows[row].entry

    def level(self, row: int) -> str:
        return self._rows[row].level

    def is_confusion(self, row: int) -> bool:
        return self._rows[row].confusion

    def looks(self, row: int) -> tuple[tuple[Any, Any, Any], ...]:
        """Row `row`'s (foreground, background, font) per column, made again only for a
        new palette (a theme change)."""
        palette = colours()
        if palette is not self._palette:
            self._palette, self._looks = palette, [None] * len(self._rows)
        looks = self._looks[row]
        if looks is None:
            looks = self._looks[row] = tuple(
                tuple(self._look(row, column, role) for role in (_FOREGROUND, _BACKGROUND, _FONT))
                for column in range(len(self.HEADERS))
            )
        return looks

    def fill(self, row: int, column: int, span: RoleData) -> None:
        """Every role of a painted cell's span set or cleared (the delegate reuses one span
        for every cell it paints: a role left alone would keep the last cell's value)."""
        foreground, background, font = self.looks(row)[column]
        for item in cast("Iterable[QModelRoleData]", span):
            role = item.role()
            if role == _DISPLAY:
                value: Any = self._rows[row].cells[column]
            elif role == _FOREGROUND:
                value = foreground
            elif role == _BACKGROUND:
                value = background
            elif role == _FONT:
                value = font
            elif role in _NEVER:
                value = None
            else:
                value = self.data(self.index(row, column), role)
            if value is None:
                item.clearData()
            else:
                item.setData(value)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in _PAINTED and role != _DISPLAY:
            return self.looks(index.row())[index.column()][
                (_FOREGROUND, _BACKGROUND, _FONT).index(role)
            ]
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells[index.column()]
        if role == LevelRole:
            return row.level
        if role == ConfusionRole:
            return row.confusion
        if role == EntryRole:
            return row.entry
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.tooltip
        return None

    def _look(self, source_row: int, column: int, role: int) -> Any:
        """A cell's colour or font as first worked out (`looks` keeps them)."""
        row = self._rows[source_row]
        if role == _FOREGROUND:
            pal = colours()
            if row.confusion:
                return QColor(pal.confusion_fg)
            if column in (1, 2) and row.level != "info":
                return level_colour(row.level)
            if column == 0:
                return QColor(pal.muted)
            return None
        if role == _BACKGROUND:
            return QColor(colours().confusion_bg) if row.confusion else None
        if column == 1:
            return self._bold if row.confusion or row.level in ("warning", "error") else None
        return self._mono_bold if row.confusion else self._mono


LEVEL_FILTERS = (
    ("All levels", 0),
    ("Info and above", 1),
    ("Warnings and errors", 2),
    ("Errors only", 3),
)


class LogFilterProxy(QSortFilterProxyModel):
    """Minimum level, optionally token-confusion rows only."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._min_rank = 0
        self._confusion_only = False

    def set_min_rank(self, rank: int) -> None:
        self.beginFilterChange()
        self._min_rank = rank
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_confusion_only(self, only: bool) -> None:
        self.beginFilterChange()
        self._confusion_only = only
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def multiData(self, index: Index, roleDataSpan: RoleData) -> None:
        """A painted cell's roles in one call (the base class maps the index and calls
        data() once per role, seven a cell)."""
        source = self.mapToSource(index)
        model = self.sourceModel()
        if isinstance(model, LogModel) and source.isValid() and SPANS_INDEX:
            model.fill(source.row(), source.column(), roleDataSpan)
        else:
            super().multiData(index, roleDataSpan)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, LogModel)
        confusion = model.is_confusion(source_row)
        if self._confusion_only:
            return confusion
        return confusion or E.level_rank(model.level(source_row)) >= self._min_rank
