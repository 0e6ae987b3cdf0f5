"""Table models over plain records: partners and a partner's credentials; the run log's
models are in log_models.

Models hold records from the vault (never a token value) or transcript entries (already
redacted). Rows are appended with beginInsertRows and updated with dataChanged; a reset only
when the set of rows really changes. Filtering lives in the proxies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
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

from app.core.ages import compact_age, compact_expiry
from app.engine.health import FAILING, OK, UNKNOWN, WARNING, Health
from app.gui.theme import colours, mono_font, status_colour
from app.vault import CredentialRecord, PartnerRecord

Index = QModelIndex | QPersistentModelIndex
RecordRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2
LevelRole = Qt.ItemDataRole.UserRole + 3
ConfusionRole = Qt.ItemDataRole.UserRole + 4
EntryRole = Qt.ItemDataRole.UserRole + 5
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
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


def short_time(iso: str | None, compact: bool = False) -> str:
    """'2025-11-25T08:06:01.123456Z' -> '2025-11-25 09:06' in local time ('' if none).

    `compact` drops the year when it is this year: '25 Nov 09:06'. Remembered per value
    (strptime and the local zone cost ~0.1-0.3 ms a call, and every paint of a list asks).
    """
    if not iso:
        return ""
    return _short_time(iso, compact, datetime.now().year)


@lru_cache(maxsize=8192)
def _short_time(iso: str, compact: bool, this_year: int) -> str:
    try:
        moment = datetime.strptime(iso.rstrip("Z")[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return iso
    local = moment.astimezone()
    if compact and local.year == this_year:
        return local.strftime("%d %b %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


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


HEALTH_COLOUR = {FAILING: "failed", WARNING: "pending"}
NO_HEALTH = Health(UNKNOWN)


def status_text(partner: PartnerRecord, health: Health | None) -> str:
    """The status a person reads: the stored status plus the worst health finding.

    "Registered" alone only when nothing is wrong (health ok); otherwise
    "Registered · TOKEN_C refused", "Registered · discovery incomplete", ...
    """
    text = STATUS_TEXT.get(partner.status, partner.status)
    if health is not None and health.level != OK and health.badge:
        return f"{text} · {health.badge}"
    return text


def status_key(partner: PartnerRecord, health: Health | None) -> str:
    """The colour key for that status (a Pill's `status`, `status_colour`)."""
    if health is None:
        return partner.status
    if health.level in HEALTH_COLOUR:
        return HEALTH_COLOUR[health.level]
    if partner.status == "registered" and health.level != OK:
        return "unregistered"  # registered but not confirmed: muted, never green
    return partner.status


class RowsModel(QAbstractTableModel):
    """A flat table: one row per item of `_rows`, one column per header."""

    HEADERS: tuple[str, ...] = ()
    _rows: Sequence[Any]

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
    COL_STATUS = 6
    COL_HEALTH = 8  # ok / warning / failing / unknown, the reasons on hover

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
    def _value(self, r: PartnerRecord, column: int) -> str:
        if column == 0:
            return r.country_code or "—"
        if column == 1:
            return r.party_id or f"#{r.id}"
        if column == 2:
            health = self.health(r.id)
            if health is not None and health.sandbox:
                return f"{r.business_name or '(sandbox partner)'}  [sandbox]"
            if r.business_name or r.country_code:
                return r.business_name
            if r.our_role == "receiver":
                return (
                    "(invited: waiting for the partner)"
                    if r.status == "pending"
                    else "(invitation)"
                )
            return "(registration not completed)"
        if column == 3:
            return roles_text(r)
        if column == 4:
            return "Sender" if r.our_role == "sender" else "Receiver"
        if column == 5:
            return r.ocpi_version or ""
        if column == 6:
            return status_text(r, self.health(r.id))
        if column == 7:
            return short_time(r.last_checked, compact=True) or "never"
        return self._connection_value(r, column)

    def _connection_value(self, r: PartnerRecord, column: int) -> str:
        facts = self.connection_facts.get(r.id) if r.id is not None else None
        if column == self.COL_HEALTH:
            health = self.health(r.id)
            return health.level if health is not None else "unknown"
        if facts is None or r.status != "registered":
            return ""
        if column == 9:
            return short_time(facts.last_verified, compact=True) or "never"
        if column == 10:
            return "" if facts.token_age_days is None else compact_age(facts.token_age_days)
        if facts.tls_expires_days is None:
            return "no TLS" if r.versions_url.startswith("http:") else ""
        return compact_expiry(facts.tls_expires_days)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        # A paint asks 7 roles of every visible cell and this answers 3 of them: the others
        # return at once, and roles are plain ints (an enum comparison costs ~0.4 µs).
        if role not in _PARTNER_ROLES or not index.isValid():
            return None
        r = self._rows[index.row()]
        column = index.column()
        if role == _DISPLAY:
            return self._value(r, column)
        if role == _FOREGROUND:
            if column == self.COL_STATUS:
                return QBrush(status_colour(status_key(r, self.health(r.id))))
            if column == 7 and not r.last_checked:
                return QBrush(QColor(colours().muted))
            if column == self.COL_HEALTH:
                level = (self.health(r.id) or NO_HEALTH).level
                key = {**HEALTH_COLOUR, OK: "registered"}.get(level, "unregistered")
                return QBrush(status_colour(key))
            return None
        if role == _FONT:
            return self._bold if column == self.COL_STATUS else None
        if role == SortRole:
            if column == 7:
                return r.last_checked or ""
            if column in (10, 11):
                facts = self.connection_facts.get(r.id) if r.id is not None else None
                value = None
                if facts is not None:
                    value = facts.token_age_days if column == 10 else facts.tls_expires_days
                return -1_000_000 if value is None else value
            return self._value(r, column).lower()
        if role == RecordRole:
            return r
        if role == _TOOLTIP:
            worst = (self.health(r.id) or NO_HEALTH).worst
            if column == self.COL_STATUS and worst is not None:
                return f"{worst.message}\nWhat to do: {worst.hint}"
            if column == self.COL_HEALTH:
                health = self.health(r.id) or NO_HEALTH
                if not health.findings:
                    return f"{health.level}: nothing to report"
                return "\n".join(f"• {f.message}" for f in health.findings)
            return f"{r.ref} · {r.versions_url or 'no versions URL yet'}"
        # AccessibleTextRole
        return f"{self.HEADERS[column]}: {self._value(r, column)}"


ALL_ROWS = "*"  # the status filter's "every row, history included"


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
STATE_RANK = {"active": 0, "pending": 1, "consumed": 2, "superseded": 3, "revoked": 4}


class CredentialsModel(RowsModel):
    """A partner's tokens by fingerprint, with state and dates (active first, newest first)."""

    HEADERS = ("Token", "Presented by", "State", "Created", "Used · ended")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CredentialRecord] = []
        self._filled = False

    def set_credentials(self, records: Sequence[CredentialRecord]) -> None:
        self._filled = True
        self.beginResetModel()
        self._rows = sorted(records, key=lambda c: (STATE_RANK.get(c.state, 9), -c.id))
        self.endResetModel()

    def record(self, row: int) -> CredentialRecord:
        return self._rows[row]

    def same(self, records: Sequence[CredentialRecord]) -> bool:
        """These are the rows shown now (a refresh of the detail that changed nothing)."""
        if not self._filled:
            return False
        return sorted(records, key=lambda c: c.id) == sorted(self._rows, key=lambda c: c.id)

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
