"""The log pane's models: one run's transcript entries as rows, and the level filter.

Rows are appended as entries arrive (beginInsertRows, never a reset of the model); what a
row shows is computed once per entry (`_LogRow`). The partner and token models live in
`models`, with the item roles both share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QFont

from app.gui import entries as E
from app.gui.models import ConfusionRole, EntryRole, Index, LevelRole, RowsModel
from app.gui.theme import colours, level_colour, mono_font


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

    def reset(self, run_id: str | None, entries: Sequence[E.Entry] = ()) -> None:
        self.beginResetModel()
        self.run_id = run_id
        self._rows = [_LogRow.of(e) for e in entries]
        self.endResetModel()

    def append(self, entry: E.Entry) -> None:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(_LogRow.of(entry))
        self.endInsertRows()

    def entry(self, row: int) -> E.Entry:
        return self._rows[row].entry

    def level(self, row: int) -> str:
        return self._rows[row].level

    def is_confusion(self, row: int) -> bool:
        return self._rows[row].confusion

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells[column]
        if role == Qt.ItemDataRole.ForegroundRole:
            pal = colours()
            if row.confusion:
                return QColor(pal.confusion_fg)
            if column in (1, 2) and row.level != "info":
                return level_colour(row.level)
            if column == 0:
                return QColor(pal.muted)
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return QColor(colours().confusion_bg) if row.confusion else None
        if role == Qt.ItemDataRole.FontRole:
            if column == 1:
                return self._bold if row.confusion or row.level in ("warning", "error") else None
            return self._mono_bold if row.confusion else self._mono
        if role == LevelRole:
            return row.level
        if role == ConfusionRole:
            return row.confusion
        if role == EntryRole:
            return row.entry
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.tooltip
        return None


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

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, LogModel)
        confusion = model.is_confusion(source_row)
        if self._confusion_only:
            return confusion
        return confusion or E.level_rank(model.level(source_row)) >= self._min_rank
