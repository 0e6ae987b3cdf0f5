"""Table models over plain records: partners and a partner's credentials; the run log's
models are in log_models.

Models hold records from the vault (never a token value) or transcript entries (already
redacted). Rows are appended with beginInsertRows and updated with dataChanged; a reset only
when the set of rows really changes. Filtering lives in the proxies.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from app.engine.health import Health
from app.gui.partner_cells import (
    COL_HEALTH,
    COL_LAST_CHECKED,
    COL_STATUS,
    COLUMNS,
    NO_HEALTH,
    RowCells,
    row_cells,
    sort_value,
)
from app.gui.partner_cells import HEALTH_COLOUR as HEALTH_COLOUR
from app.gui.partner_cells import STATUS_TEXT as STATUS_TEXT
from app.gui.partner_cells import roles_text as roles_text
from app.gui.partner_cells import short_time as short_time
from app.gui.partner_cells import status_key as status_key
from app.gui.partner_cells import status_text as status_text
from app.gui.theme import Colours, colours, mono_font, status_colour
from app.vault import CredentialRecord, PartnerRecord

Index = QModelIndex | QPersistentModelIndex
RoleData = QModelRoleDataSpan | QModelRoleData
# A span's items are reachable from Python (PySide6 6.11 indexes it; the pin allows 6.8):
# else a cell's roles are asked one by one, as Qt's base class does.
SPANS_INDEX = hasattr(QModelRoleDataSpan, "__getitem__")
RecordRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2
LevelRole = Qt.ItemDataRole.UserRole + 3
ConfusionRole = Qt.ItemDataRole.UserRole + 4
EntryRole = Qt.ItemDataRole.UserRole + 5
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_MUTED = "muted"  # the palette's muted text, not a status key
_PARTNER_ROLES = frozenset(
    {
        _DISPLAY,
        _FOREGROUND,
        _FONT,
        _TOOLTIP,
        Qt.ItemDataRole.AccessibleTextRole.value,
        int(SortRole),
        int(RecordRole),
    }
)


class RowsModel(QAbstractTableModel):
    """A flat table: one row per item of `_rows`, one column per header."""

    HEADERS: tuple[str, ...] = ()
    _rows: Sequence[Any]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        # the base class asks rowCount and columnCount (two more calls into Python) for
        # every index a proxy maps, i.e. for every painted cell
        if 0 <= row < len(self._rows) and 0 <= column < len(self.HEADERS) and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None


class PartnersTableModel(RowsModel):
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
        "Health",
        "Last verified",
        "Token age",
        "TLS expiry",
    )
    COL_STATUS = COL_STATUS
    COL_HEALTH = COL_HEALTH  # ok / warning / failing / unknown, the reasons on hover

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PartnerRecord] = []
        self._health: dict[int, Health] = {}
        # connection facts (last verify, token age, TLS expiry) by partner id; the window's
        # health operations keep this dict current (app/gui/health_ui.py)
        self.connection_facts: dict[int, Any] = {}
        self._search: list[str] = []
        self._index: dict[int, int] = {}
        self._identity: dict[tuple[str, str], set[int]] = {}  # CC-PID -> ids of its rows
        self._bold = QFont()
        self._bold.setBold(True)
        # what each row says, made when it is first painted after a change (partner_cells)
        self._cells: list[RowCells | None] = []
        self._cells_until = _new_year()  # compact times name the year after it turns
        self._palette: Colours | None = None
        self._brushes: dict[str, QBrush] = {}

    # ---- contents ------------------------------------------------------------------------
    def set_partners(
        self, records: Sequence[PartnerRecord], health: dict[int, Health] | None = None
    ) -> None:
        """Replace the rows; with the same ids in the same order only changed rows are told."""
        new = list(records)
        health = health or {}
        if [r.id for r in new] != [r.id for r in self._rows]:
            self.beginResetModel()
            self._rows = new
            self._health = dict(health)
            self._cells = [None] * len(new)
            self._search = [self._haystack(r) for r in new]
            self._index = {r.id: i for i, r in enumerate(new) if r.id is not None}
            self._identity = {}
            for record in new:
                self._add_identity(record)
            self.endResetModel()
            return
        for row, record in enumerate(new):
            verdict = health.get(record.id) if record.id is not None else None
            if record != self._rows[row] or verdict != self.health(record.id):
                self._replace(row, record, verdict)

    def upsert(self, record: PartnerRecord, health: Health | None = None) -> None:
        """One partner added or changed (a run touched it): one row, no reset."""
        row = self._index.get(record.id) if record.id is not None else None
        if row is not None:
            if record != self._rows[row] or health != self.health(record.id):
                self._replace(row, record, health)
            return
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(record)
        if record.id is not None and health is not None:
            self._health[record.id] = health
        self._search.append(self._haystack(record))
        self._cells.append(None)
        if record.id is not None:
            self._index[record.id] = row
        self._add_identity(record)
        self.endInsertRows()

    def remove(self, partner_id: int) -> None:
        row = self._index.get(partner_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        self._drop_identity(self._rows[row])
        del self._rows[row]
        del self._search[row]
        del self._cells[row]
        self._index = {r.id: i for i, r in enumerate(self._rows) if r.id is not None}
        self.endRemoveRows()

    def _replace(self, row: int, record: PartnerRecord, health: Health | None = None) -> None:
        self._drop_identity(self._rows[row])
        self._rows[row] = record
        self._add_identity(record)
        if record.id is not None:
            if health is None:
                self._health.pop(record.id, None)
            else:
                self._health[record.id] = health
        self._search[row] = self._haystack(record)
        self._cells[row] = None
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    def _add_identity(self, record: PartnerRecord) -> None:
        if record.id is not None and record.country_code:
            self._identity.setdefault((record.country_code, record.party_id), set()).add(record.id)

    def _drop_identity(self, record: PartnerRecord) -> None:
        ids = self._identity.get((record.country_code, record.party_id))
        if ids is not None and record.id is not None:
            ids.discard(record.id)

    def same_identity(self, record: PartnerRecord) -> list[int]:
        """Ids of other rows for the same CC-PID (a new registration may have replaced them).

        From an index kept with the rows: a run touching one partner in a list of
        thousands does not scan them all."""
        if not record.country_code:
            return []
        ids = self._identity.get((record.country_code, record.party_id), set())
        return sorted(i for i in ids if i != record.id)

    def health(self, partner_id: int | None) -> Health | None:
        return self._health.get(partner_id) if partner_id is not None else None

    def is_history(self, record: PartnerRecord) -> bool:
        """A row kept only for its history (forgotten): not a current partner."""
        health = self.health(record.id)
        return health is not None and "row.forgotten" in health.codes()

    def _haystack(self, r: PartnerRecord) -> str:
        health = self.health(r.id)
        return " ".join(
            (
                status_text(r, health),
                "sandbox" if health is not None and health.sandbox else "",
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
        return self._index.get(partner_id, -1)

    # ---- Qt ------------------------------------------------------------------------------
    def cells(self, row: int) -> RowCells:
        """What row `row` says, made again only if the row, its health or its connection
        facts changed since it was last painted."""
        if time.time() >= self._cells_until:  # a new year: compact times name the old one
            self._cells = [None] * len(self._rows)
            self._cells_until = _new_year()
        cells = self._cells[row]
        r = self._rows[row]
        facts = self.connection_facts.get(r.id) if r.id is not None else None
        if cells is None or cells.facts is not facts:
            cells = self._cells[row] = row_cells(r, self.health(r.id), facts)
        return cells

    def _brush(self, key: str) -> QBrush:
        """One brush per colour key and palette (a theme change brings a new palette)."""
        palette = colours()
        if palette is not self._palette:
            self._palette, self._brushes = palette, {}
        brush = self._brushes.get(key)
        if brush is None:
            colour = QColor(palette.muted) if key == _MUTED else status_colour(key)
            brush = self._brushes[key] = solid_brush(colour)
        return brush

    def _foreground(self, cells: RowCells, column: int) -> QBrush | None:
        if column == COL_STATUS:
            return self._brush(cells.status_colour)
        if column == COL_HEALTH:
            return self._brush(cells.health_colour)
        if column == COL_LAST_CHECKED and cells.never_checked:
            return self._brush(_MUTED)
        return None

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        # the base class asks rowCount and columnCount (two more calls into Python) for
        # every index the proxy maps, i.e. for every role of every painted cell
        if 0 <= row < len(self._rows) and 0 <= column < COLUMNS and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def multiData(self, index: Index, roleDataSpan: RoleData) -> None:
        """A paint's roles of one cell in one call (Qt asks 7; the base class calls data()
        once per role)."""
        if index.isValid() and SPANS_INDEX:
            self.fill(index.row(), index.column(), roleDataSpan)
        else:
            super().multiData(index, roleDataSpan)

    def fill(self, row: int, column: int, span: RoleData) -> None:
        """Every role of the span is set or cleared: the delegate reuses one span for every
        cell it paints, so a role left alone kept the last cell's value (the Status cell's
        bold and a health colour spread over whole rows, session 22 screenshots)."""
        cells = self.cells(row)
        for item in cast("Iterable[QModelRoleData]", span):  # PySide6 iterates a span
            role = item.role()
            if role == _DISPLAY:
                item.setData(cells.texts[column])
            elif role == _FOREGROUND:
                brush = self._foreground(cells, column)
                if brush is not None:
                    item.setData(brush)
                else:
                    item.clearData()
            elif role == _FONT and column == COL_STATUS:
                item.setData(self._bold)
            elif role in _PARTNER_ROLES and role != _FONT:
                item.setData(self._other(row, column, role))
            else:
                item.clearData()

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if role not in _PARTNER_ROLES or not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == _DISPLAY:
            return self.cells(row).texts[column]
        if role == _FOREGROUND:
            return self._foreground(self.cells(row), column)
        if role == _FONT:
            return self._bold if column == COL_STATUS else None
        return self._other(row, column, role)

    def sort_key(self, row: int, column: int) -> Any:
        """What the list sorts a row by in `column` (the Sort role's answer)."""
        r = self._rows[row]
        facts = self.connection_facts.get(r.id) if r.id is not None else None
        return sort_value(r, column, self.health(r.id), facts)

    def _other(self, row: int, column: int, role: int) -> Any:
        """The roles a paint does not ask: sort key, record, tooltip, accessible text."""
        if role == SortRole:
            return self.sort_key(row, column)
        r = self._rows[row]
        if role == RecordRole:
            return r
        if role == _TOOLTIP:
            worst = (self.health(r.id) or NO_HEALTH).worst
            if column == COL_STATUS and worst is not None:
                return f"{worst.message}\nWhat to do: {worst.hint}"
            if column == COL_HEALTH:
                health = self.health(r.id) or NO_HEALTH
                if not health.findings:
                    return f"{health.level}: nothing to report"
                return "\n".join(f"• {f.message}" for f in health.findings)
            return f"{r.ref} · {r.versions_url or 'no versions URL yet'}"
        # AccessibleTextRole
        return f"{self.HEADERS[column]}: {self.cells(row).texts[column]}"


def solid_brush(colour: QColor) -> QBrush:
    """`QBrush(colour)` without its overloads: choosing among them makes the QImage, QPixmap
    and QGradient types and their enums (`Preset` alone ~180 members), ~2 ms of the first
    paint that draws nothing of them (issue 13)."""
    brush = QBrush()
    brush.setColor(colour)
    brush.setStyle(Qt.BrushStyle.SolidPattern)
    return brush


def _new_year() -> float:
    """When the next year begins here (a compact time then needs its year)."""
    now = datetime.now()
    return datetime(now.year + 1, 1, 1).timestamp()


ALL_ROWS = "*"  # the status filter's "every row, history included"


class PartnersFilterProxy(QSortFilterProxyModel):
    """Free-text search over every visible field, plus a status filter."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._status: str | None = None
        self._hide_replaced = True
        self._partners: PartnersTableModel | None = None
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)

    def setSourceModel(self, model: QAbstractItemModel) -> None:
        self._partners = model if isinstance(model, PartnersTableModel) else None
        super().setSourceModel(model)

    def multiData(self, index: Index, roleDataSpan: RoleData) -> None:
        """A painted cell's roles in one call: the base class maps the index to the source
        and calls data() once per role (7 a cell, each mapping again)."""
        source = self.mapToSource(index)
        if self._partners is not None and source.isValid() and SPANS_INDEX:
            self._partners.fill(source.row(), source.column(), roleDataSpan)
        else:
            super().multiData(index, roleDataSpan)

    def lessThan(self, source_left: Index, source_right: Index) -> bool:
        """One call per comparison, keys straight from the records: the base class asked
        data(SortRole) twice per comparison (1,748 calls into Python to sort 200 rows at
        the start, ~12 ms with the two index() calls each). Same order: a column's keys
        are all texts (QString compares them by code unit, as `<` does below U+10000) or
        all numbers."""
        partners = self._partners
        if partners is None:  # the sort role is SortRole for good (__init__)
            return super().lessThan(source_left, source_right)
        column = source_left.column()
        left = partners.sort_key(source_left.row(), column)
        return bool(left < partners.sort_key(source_right.row(), column))

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
        record = model.record(source_row)
        status = record.status
        if self._status == ALL_ROWS:
            pass
        elif self._status is not None:
            if status != self._status:
                return False
        elif self._hide_replaced and (status == "replaced" or model.is_history(record)):
            return False
        return not self._text or all(
            word in model.search_key(source_row) for word in self._text.split()
        )


TOKEN_ROLE_TIPS = {
    "A": "TOKEN_A: the one-time bootstrap token of the registration",
    "B": "TOKEN_B: the Sender's token, presented by the Receiver",
    "C": "TOKEN_C: the Receiver's token, presented by the Sender",
}
# the roles CredentialsModel.data answers (the others are cleared without a call)
_TOKEN_ROLES = frozenset({_DISPLAY, int(RecordRole), _FONT, _FOREGROUND, _TOOLTIP})
STATE_RANK = {"active": 0, "pending": 1, "consumed": 2, "superseded": 3, "revoked": 4}


class CredentialsModel(RowsModel):
    """A partner's tokens by fingerprint, with state and dates (active first, newest first)."""

    HEADERS = ("Token", "Presented by", "State", "Created", "Used · ended")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CredentialRecord] = []
        self._filled = False

    @staticmethod
    def _ordered(records: Sequence[CredentialRecord]) -> list[CredentialRecord]:
        return sorted(records, key=lambda c: (STATE_RANK.get(c.state, 9), -c.id))

    def set_credentials(self, records: Sequence[CredentialRecord]) -> None:
        self._filled = True
        self.beginResetModel()
        self._rows = self._ordered(records)
        self.endResetModel()

    def record(self, row: int) -> CredentialRecord:
        return self._rows[row]

    def _cells(self, rows: Sequence[CredentialRecord]) -> list[tuple[object, ...]]:
        """What each row shows (its token's id first): every cell's text; the colour, font
        and tip follow from the state and the column."""
        return [(c.id, *(self._value(c, col) for col in range(len(self.HEADERS)))) for c in rows]

    def keep_if_same(self, records: Sequence[CredentialRecord]) -> bool:
        """Take `records` without a reset when they read as the rows shown now, in the same
        order (True); False if a refill is needed. A run's calls with a token change its
        record ("last used" to the second) but, within the minute shown, not its row: each
        such refresh of the detail reset the table and re-measured every cell (~1-2 ms of
        the detail's 2-6 ms refresh during a handshake, issue 13)."""
        if not self._filled:
            return False
        ordered = self._ordered(records)
        if self._cells(ordered) != self._cells(self._rows):
            return False
        self._rows = ordered  # the same rows on screen; Reveal and Copy read these records
        return True

    @staticmethod
    def _value(c: CredentialRecord, column: int) -> str:
        """The fingerprint's letter is the role (A·…, B·…, C·…)."""
        if column == 0:
            return c.fingerprint
        if column == 1:
            return "us" if c.direction == "outbound" else "the partner"
        if column == 2:
            return str(c.state)
        if column == 3:
            return short_time(c.created, compact=True)
        if c.revoked:
            return f"ended {short_time(c.revoked, compact=True)}"
        return f"used {short_time(c.last_used, compact=True)}" if c.last_used else ""

    def multiData(self, index: Index, roleDataSpan: RoleData) -> None:
        """A cell's roles in one call: a refill measures every cell of every column
        (resizeColumnsToContents, each verify's new "used" time), seven data() calls a cell
        through Qt's base class. Every role of the span is set or cleared (a reused span)."""
        if not index.isValid() or not SPANS_INDEX:
            super().multiData(index, roleDataSpan)
            return
        for item in cast("Iterable[QModelRoleData]", roleDataSpan):
            value = self.data(index, item.role()) if item.role() in _TOKEN_ROLES else None
            if value is None:
                item.clearData()
            else:
                item.setData(value)

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
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            return QBrush(status_colour(str(c.state)))
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return (
                "Fingerprint: the first 6 hex digits of the token's SHA-256, never the token itself"
            )
        return None
