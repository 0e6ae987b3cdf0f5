"""What each cell of a partner's row says: the texts and colour keys, worked out once.

The partners list may hold thousands of rows and a paint asks every visible cell for
seven roles (issue 13: a whole repaint of 2,000 rows was ~21 Python calls per cell). The
model keeps a `RowCells` per row, made from the record, its health and its connection
facts the first time the row is painted after it changed, so a paint only looks values up.
Also the plain words the detail and the wizards share (status text, its colour key).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from app.core.ages import compact_age, compact_expiry
from app.engine.health import FAILING, OK, UNKNOWN, WARNING, Health
from app.vault import PartnerRecord

COLUMNS = 12
COL_STATUS = 6
COL_LAST_CHECKED = 7
COL_HEALTH = 8


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


class RowCells(NamedTuple):
    """One row as painted: a text per column and the colour keys of the coloured ones.

    `facts` is the connection facts object the texts were made from: the window's health
    operations replace a partner's facts object when they change, so a row whose `facts`
    is not the current one is made again."""

    texts: tuple[str, ...]
    status_colour: str  # a `status_colour` key for the Status column
    health_colour: str  # the same for the Health column
    never_checked: bool  # "Last checked: never", drawn muted
    facts: Any


def row_cells(r: PartnerRecord, health: Health | None, facts: Any) -> RowCells:
    level = health.level if health is not None else UNKNOWN
    texts = (
        r.country_code or "—",
        r.party_id or f"#{r.id}",
        name_text(r, health),
        roles_text(r),
        _we_are(r),
        r.ocpi_version or "",
        status_text(r, health),
        short_time(r.last_checked, compact=True) or "never",
        health_text(r, health),
        *connection_texts(r, facts),
    )
    return RowCells(
        texts,
        status_key(r, health),
        {**HEALTH_COLOUR, OK: "registered"}.get(level, "unregistered"),
        not r.last_checked,
        facts,
    )


def health_text(r: PartnerRecord, health: Health | None) -> str:
    """The Health cell: a level only where one is known. A row that is not registered with
    nothing wrong said "unknown", a health claim about a connection that does not exist
    (session 23 walk): it says "not registered"."""
    level = health.level if health is not None else UNKNOWN
    if level == UNKNOWN and r.status != "registered":
        return "not registered"
    return level


def name_text(r: PartnerRecord, health: Health | None) -> str:
    if health is not None and health.sandbox:
        return f"{r.business_name or '(sandbox partner)'}  [sandbox]"
    if r.business_name or r.country_code:
        return r.business_name
    if r.our_role == "receiver":
        return "(invited: waiting for the partner)" if r.status == "pending" else "(invitation)"
    return "(registration not completed)"


def connection_texts(r: PartnerRecord, facts: Any) -> tuple[str, str, str]:
    """Last verified, token age, TLS expiry: only for a registered partner with facts."""
    if facts is None or r.status != "registered":
        return ("", "", "")
    verified = short_time(facts.last_verified, compact=True) or "never"
    age = "" if facts.token_age_days is None else compact_age(facts.token_age_days)
    if facts.tls_expires_days is None:
        tls = "no TLS" if r.versions_url.startswith("http:") else ""
    else:
        tls = compact_expiry(facts.tls_expires_days)
    return (verified, age, tls)


def sort_value(r: PartnerRecord, column: int, health: Health | None, facts: Any) -> Any:
    """What the Sort role answers: times as stored, days as numbers, texts in lower case.

    Made from the record, not from a row's cells: a sort (the proxy re-sorts each row a
    sweep touches) must not keep cells for 2,000 rows never painted, which every full
    garbage collection would then walk."""
    if column == COL_LAST_CHECKED:
        return r.last_checked or ""
    if column in (10, 11):
        value = None
        if facts is not None:
            value = facts.token_age_days if column == 10 else facts.tls_expires_days
        return -1_000_000 if value is None else value
    return column_text(r, health, facts, column).lower()


def column_text(r: PartnerRecord, health: Health | None, facts: Any, column: int) -> str:
    """One cell's text, as `row_cells` makes it."""
    if column == 2:
        return name_text(r, health)
    if column == 3:
        return roles_text(r)
    if column == COL_STATUS:
        return status_text(r, health)
    if column == COL_LAST_CHECKED:
        return short_time(r.last_checked, compact=True) or "never"
    if column == COL_HEALTH:
        return health_text(r, health)
    if column > COL_HEALTH:
        return connection_texts(r, facts)[column - COL_HEALTH - 1]
    return (
        r.country_code or "—",
        r.party_id or f"#{r.id}",
        "",
        "",
        _we_are(r),
        r.ocpi_version or "",
    )[column]


def _we_are(r: PartnerRecord) -> str:
    return "Sender" if r.our_role == "sender" else "Receiver"
