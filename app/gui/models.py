"""Table models over plain records: partners, a partner's credentials, the run log.

Models hold records from the vault (never a token value) or transcript entries (already
redacted). Rows are appended with beginInsertRows and updated with dataChanged; a reset only
when the set of rows really changes. Filtering lives in the proxies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from app.gui import entries as E
from app.gui.theme import colours, level_colour, mono_font, status_colour
from app.vault import CredentialRecord, PartnerRecord

Index = QModelIndex | QPersistentModelIndex
RecordRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2
LevelRole = Qt.ItemDataRole.UserRole + 3
ConfusionRole = Qt.ItemDataRole.UserRole + 4
EntryRole = Qt.ItemDataRole.UserRole + 5


def short_time(iso: str | None) -> str:
    """'2025-11-25T08:06:01.123456Z' -> '2025-11-25 09:06' in local time ('' if none)."""
    if not iso:
        return ""
    try:
        moment = datetime.strptime(iso.rstrip("Z")[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return iso
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def roles_text(partner: PartnerRecord) -> str:
    roles = [str(r.get("role", "")) for r in partner.roles if r.get("role")]
    return ", ".join(dict.fromkeys(roles))


STATUS_TEXT = {
    "registered": "Registered",
    "pending": "Pending",
    "unregistered": "Unregistered",
    "failed": "Failed",
    "replaced": "Replaced",
}


class PartnersTableModel(QAbstractTableModel):
    """Every partner row of the vault; fast enough for thousands (plain list, no queries)."""

    HEADERS = (
        "Country",
        "Party ID",
        "Name",
        "Roles",
        "We are",
        "Version",
        "Status",
        "Last checked",
    )
    COL_STATUS = 6

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PartnerRecord] = []
        self._search: list[str] = []

    # ---- contents ------------------------------------------------------------------------
    def set_partners(self, records: Sequence[PartnerRecord]) -> None:
        """Replace the rows; same ids in the same order -> dataChanged, no reset."""
        new = list(records)
        if [r.id for r in new] == [r.id for r in self._rows]:
            self._rows = new
            self._search = [self._haystack(r) for r in new]
            if new:
                self.dataChanged.emit(
                    self.index(0, 0), self.index(len(new) - 1, len(self.HEADERS) - 1)
                )
            return
        self.beginResetModel()
        self._rows = new
        self._search = [self._haystack(r) for r in new]
        self.endResetModel()

    @staticmethod
    def _haystack(r: PartnerRecord) -> str:
        return " ".join(
            (
                r.ref,
                r.country_code,
                r.party_id,
                r.business_name,
                roles_text(r),
                r.status,
                r.ocpi_version or "",
                r.our_role,
            )
        ).lower()

    def record(self, row: int) -> PartnerRecord:
        return self._rows[row]

    def search_key(self, row: int) -> str:
        return self._search[row]

    def row_of(self, partner_id: int) -> int:
        for row, record in enumerate(self._rows):
            if record.id == partner_id:
                return row
        return -1

    # ---- Qt ------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def _value(self, r: PartnerRecord, column: int) -> str:
        if column == 0:
            return r.country_code or "—"
        if column == 1:
            return r.party_id or f"#{r.id}"
        if column == 2:
            return r.business_name or ("(awaiting partner)" if r.status == "pending" else "")
        if column == 3:
            return roles_text(r)
        if column == 4:
            return "Sender" if r.our_role == "sender" else "Receiver"
        if column == 5:
            return r.ocpi_version or ""
        if column == 6:
            return STATUS_TEXT.get(r.status, r.status)
        return short_time(r.last_checked) or "never"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._value(r, column)
        if role == SortRole:
            if column == 7:
                return r.last_checked or ""
            return self._value(r, column).lower()
        if role == RecordRole:
            return r
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.COL_STATUS:
                return QBrush(status_colour(r.status))
            if column == 7 and not r.last_checked:
                return QBrush(QColor(colours().muted))
        if role == Qt.ItemDataRole.FontRole and column == self.COL_STATUS:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{r.ref} · {r.versions_url or 'no versions URL yet'}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self.HEADERS[column]}: {self._value(r, column)}"
        return None


class PartnersFilterProxy(QSortFilterProxyModel):
    """Free-text search over every visible field, plus a status filter."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._status: str | None = None
        self._hide_replaced = True
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_status(self, status: str | None) -> None:
        self.beginFilterChange()
        self._status = status or None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, PartnersTableModel)
        status = model.record(source_row).status
        if self._status is not None:
            if status != self._status:
                return False
        elif self._hide_replaced and status == "replaced":
            return False
        return not self._text or all(
            word in model.search_key(source_row) for word in self._text.split()
        )


TOKEN_ROLE_TEXT = {"A": "TOKEN_A (bootstrap)", "B": "TOKEN_B", "C": "TOKEN_C"}
STATE_RANK = {"active": 0, "pending": 1, "consumed": 2, "superseded": 3, "revoked": 4}


class CredentialsModel(QAbstractTableModel):
    """A partner's tokens by fingerprint, with state and dates (active first, newest first)."""

    HEADERS = ("Token", "Role", "Direction", "State", "Created", "Last used", "Ended")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CredentialRecord] = []

    def set_credentials(self, records: Sequence[CredentialRecord]) -> None:
        self.beginResetModel()
        self._rows = sorted(records, key=lambda c: (STATE_RANK.get(c.state, 9), -c.id))
        self.endResetModel()

    def record(self, row: int) -> CredentialRecord:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    @staticmethod
    def _value(c: CredentialRecord, column: int) -> str:
        if column == 0:
            return c.fingerprint
        if column == 1:
            return TOKEN_ROLE_TEXT.get(str(c.role), str(c.role))
        if column == 2:
            return "we present it" if c.direction == "outbound" else "partner presents it"
        if column == 3:
            return str(c.state)
        if column == 4:
            return short_time(c.created)
        if column == 5:
            return short_time(c.last_used)
        return short_time(c.revoked)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        c = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._value(c, column)
        if role == RecordRole:
            return c
        if role == Qt.ItemDataRole.FontRole and column == 0:
            return mono_font()
        if role == Qt.ItemDataRole.ForegroundRole and column == 3:
            return QBrush(status_colour(str(c.state)))
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return (
                "Fingerprint: the first 6 hex digits of the token's SHA-256, never the token itself"
            )
        return None


class LogModel(QAbstractTableModel):
    """Transcript entries of one run, appended as they arrive."""

    HEADERS = ("Time", "Level", "Event")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[E.Entry] = []
        self._levels: list[str] = []
        self.run_id: str | None = None

    def reset(self, run_id: str | None, entries: Sequence[E.Entry] = ()) -> None:
        self.beginResetModel()
        self.run_id = run_id
        self._rows = list(entries)
        self._levels = [E.entry_level(e) for e in self._rows]
        self.endResetModel()

    def append(self, entry: E.Entry) -> None:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(entry)
        self._levels.append(E.entry_level(entry))
        self.endInsertRows()

    def entry(self, row: int) -> E.Entry:
        return self._rows[row]

    def level(self, row: int) -> str:
        return self._levels[row]

    def entries(self) -> list[E.Entry]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self._rows[index.row()]
        level = self._levels[index.row()]
        column = index.column()
        confusion = E.is_confusion(entry)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return str(entry.get("at", ""))[11:23]
            if column == 1:
                return "TOKEN MIX-UP" if confusion else level.upper()
            text = E.summary(entry)
            if confusion:
                diagnosis = E.diagnosis_of(entry) or {}
                text += f"  —  Fix: {diagnosis.get('hint', '')}"
            return text
        if role == LevelRole:
            return level
        if role == ConfusionRole:
            return confusion
        if role == EntryRole:
            return entry
        if role == Qt.ItemDataRole.ForegroundRole:
            if confusion:
                return QBrush(QColor(colours().confusion_fg))
            if column in (1, 2) and level != "info":
                return QBrush(level_colour(level))
            if column == 0:
                return QBrush(QColor(colours().muted))
        if role == Qt.ItemDataRole.BackgroundRole and confusion:
            return QBrush(QColor(colours().confusion_bg))
        if role == Qt.ItemDataRole.FontRole:
            font = mono_font() if column != 1 else QFont()
            font.setBold(confusion or (column == 1 and level in ("warning", "error")))
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return E.explanation(entry) or E.summary(entry)
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
        entry = model.entry(source_row)
        confusion = E.is_confusion(entry)
        if self._confusion_only:
            return confusion
        return confusion or E.level_rank(model.level(source_row)) >= self._min_rank
