"""What the vault hands out: frozen records that never carry a token value.

Records are plain data for the engine, CLI and GUI; the only way to a token value is
`Vault.reveal`. Timestamps are ISO-8601 UTC strings ending in ``Z`` (sortable as text).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields
from enum import StrEnum
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, Literal, get_args, overload

from app.core.stamps import now_micros
from app.core.tokens import TokenRole


class TokenState(StrEnum):
    """Life of a stored token. CONSUMED, SUPERSEDED and REVOKED are final."""

    PENDING = "pending"
    ACTIVE = "active"
    CONSUMED = "consumed"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"

    @property
    def final(self) -> bool:
        return self in _FINAL_STATES


_FINAL_STATES = frozenset({TokenState.CONSUMED, TokenState.SUPERSEDED, TokenState.REVOKED})


class Direction(StrEnum):
    """OUTBOUND: we present it to the partner. INBOUND: the partner presents it to us."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"


class RunKind(StrEnum):
    REGISTER = "register"
    INVITE = "invite"
    ROTATE = "rotate"
    UNREGISTER = "unregister"
    CHECK = "check"


class RunOutcome(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


OurRole = Literal["sender", "receiver"]
# "replaced": an older row for an identity that registered again (kept for its history).
PartnerStatus = Literal["pending", "registered", "unregistered", "failed", "replaced"]
TokenEncoding = Literal["auto", "base64", "raw"]
OUR_ROLES: frozenset[str] = frozenset(get_args(OurRole))
PARTNER_STATUSES: frozenset[str] = frozenset(get_args(PartnerStatus))
TOKEN_ENCODINGS: frozenset[str] = frozenset(get_args(TokenEncoding))


def now_iso() -> str:
    """Now, UTC, ISO-8601 with microseconds and a ``Z`` (`datetime.now(UTC).isoformat()`'s
    text; every vault write stamps one: `now_micros` formats each second once)."""
    return now_micros()


class JsonText(str):
    """JSON text as read from the database, not decoded yet (see `JsonListField`)."""

    __slots__ = ()


_EMPTY: tuple[()] = ()


class JsonListField:
    """A ``list[dict]`` dataclass field that may hold JSON text and decodes it on first read.

    Why: listing 10,000 partners spent most of its time decoding the roles and endpoints
    JSON that a list view never shows. A record built from a row keeps the text; the first
    read of the field decodes it once and keeps the list. To callers the field is a plain
    ``list[dict]`` (reads, ``==``, ``repr``, ``dataclasses.replace``/``asdict`` all decode).
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> tuple[()]: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> list[dict[str, Any]]: ...
    def __get__(
        self, obj: object | None, objtype: type | None = None
    ) -> list[dict[str, Any]] | tuple[()]:
        if obj is None:
            return _EMPTY  # the dataclass default: an immutable stand-in for []
        store = obj.__dict__
        value = store[self._name]
        if isinstance(value, str):  # JSON text straight from the row (or a JsonText)
            value = store[self._name] = loads_list(value)
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: list[dict[str, Any]] | JsonText | tuple[()]) -> None:
        obj.__dict__[self._name] = [] if value is _EMPTY else value


@dataclass(frozen=True)
class PartnerRecord:
    """One partner platform we registered with or invited (``id`` None until saved)."""

    id: int | None
    country_code: str
    party_id: str
    business_name: str = ""
    roles: JsonListField = JsonListField()
    versions_url: str = ""
    ocpi_version: str | None = None
    endpoints: JsonListField = JsonListField()
    our_role: OurRole = "sender"
    status: PartnerStatus = "pending"
    token_encoding: str = "auto"  # a TokenEncoding (the runner still passes a plain str)
    hub_party_id: str | None = None
    created: str | None = None
    updated: str | None = None
    last_checked: str | None = None

    @property
    def ref(self) -> str:
        """``CC-PID``, uppercased: how people and the CLI name a partner.

        ``#<id>`` while the identity is still unknown (a registration before the partner
        sent its credentials).
        """
        if not self.country_code and not self.party_id:
            return f"#{self.id}"
        return f"{self.country_code}-{self.party_id}".upper()


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """A stored token's metadata; the value stays encrypted in the vault."""

    id: int
    partner_id: int
    role: TokenRole
    direction: Direction
    state: TokenState
    fingerprint: str
    created: str
    last_used: str | None = None
    revoked: str | None = None
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One user-level operation, written before its side effect so a crash leaves a trace."""

    id: str
    kind: str
    partner_id: int | None
    state: str
    outcome: str
    diagnosis: dict[str, Any] | None
    data: dict[str, Any]
    created: str
    updated: str

    @property
    def finished(self) -> bool:
        return self.outcome != RunOutcome.RUNNING


def dumps(value: object) -> str:
    """Compact JSON for the JSON columns (roles, endpoints, data, diagnosis, transcript).

    Anything JSON does not know is stored as its str(): a URL object or a datetime as text,
    a `Secret` as its fingerprint. A write never fails on an odd type (a failure inside the
    transaction that stores TOKEN_C would roll TOKEN_C back).
    """
    try:
        return "".join(_ENCODE_CHUNKS(value, 0))
    except RecursionError:  # a cycle (or absurd depth): the encoder that says which
        return _ENCODE(value)


# built once: json.dumps with arguments builds an encoder per call (~40 calls a handshake)
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode
# The C encoder `_ENCODE` makes inside every call, made once (issue 13: `encode` builds it,
# with its circular-reference markers, per call: ~1 µs of a 2 µs transcript entry). Same
# text: same separators, default=str, ensure_ascii off, NaN allowed; no markers, so a cycle
# is a RecursionError here, and `dumps` hands it to `_ENCODE` to be reported as before.
_ENCODE_CHUNKS = c_make_encoder(None, str, encode_basestring, None, ":", ",", False, False, True)


def loads_list(text: str) -> list[dict[str, Any]]:
    if text == "[]":
        return []
    value = json.loads(text)
    return value if isinstance(value, list) else []


def loads_dict(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    value = json.loads(text)
    return value if isinstance(value, dict) else None


PARTNER_COLUMNS = (
    "id, country_code, party_id, business_name, roles, versions_url, ocpi_version, "
    "endpoints, our_role, status, token_encoding, hub_party_id, created, updated, last_checked"
)
CREDENTIAL_COLUMNS = (
    "id, partner_id, role, direction, state, fingerprint, created, last_used, revoked, run_id"
)
RUN_COLUMNS = "id, kind, partner_id, state, outcome, diagnosis, data, created, updated"


_PARTNER_FIELDS = tuple(f.name for f in fields(PartnerRecord))
if tuple(c.strip() for c in PARTNER_COLUMNS.split(",")) != _PARTNER_FIELDS:
    raise RuntimeError("PARTNER_COLUMNS must list PartnerRecord's fields in order")
_new_object = object.__new__
_set_attr = object.__setattr__


def partner_from_row(row: tuple[Any, ...]) -> PartnerRecord:
    """A `PartnerRecord` from a row selected with `PARTNER_COLUMNS`.

    Fills the instance's ``__dict__`` in one step instead of running the frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` per field): listing 10,000 partners is mostly
    this (issue 13). The row comes from the table, whose CHECKs already validated it.
    """
    # roles and endpoints stay JSON text (a str) until first read: JsonListField decodes.
    # A dict display, not dict(zip(...)): a third less per row (the keys are checked
    # against the fields at import, below).
    (pid, cc, party, name, roles, url, version, endpoints, our, status, enc, hub, c, u, lc) = row
    record: PartnerRecord = _new_object(PartnerRecord)
    _set_attr(
        record,
        "__dict__",
        {
            "id": pid,
            "country_code": cc,
            "party_id": party,
            "business_name": name,
            "roles": roles,
            "versions_url": url,
            "ocpi_version": version,
            "endpoints": endpoints,
            "our_role": our,
            "status": status,
            "token_encoding": enc,
            "hub_party_id": hub,
            "created": c,
            "updated": u,
            "last_checked": lc,
        },
    )
    return record


_probe = partner_from_row(tuple(range(len(_PARTNER_FIELDS)))).__dict__
if tuple(_probe) != _PARTNER_FIELDS or tuple(_probe.values()) != tuple(range(len(_probe))):
    raise RuntimeError("partner_from_row must fill PartnerRecord's fields in column order")
del _probe


# the stored texts to their members by a dict lookup: `TokenState(text)` is a Python call
# through EnumType.__call__ per column (600 at the start's health of 200 partners, ~1.5 ms)
_ROLES: dict[Any, TokenRole] = {m.value: m for m in TokenRole}
_DIRECTIONS: dict[Any, Direction] = {m.value: m for m in Direction}
_STATES: dict[Any, TokenState] = {m.value: m for m in TokenState}


def credential_from_row(row: tuple[Any, ...]) -> CredentialRecord:
    """A `CredentialRecord` from a row selected with `CREDENTIAL_COLUMNS` (a text that is no
    member still raises the enum's ValueError)."""
    role, direction, state = row[2:5]
    return CredentialRecord(
        row[0],
        row[1],
        _ROLES.get(role) or TokenRole(role),
        _DIRECTIONS.get(direction) or Direction(direction),
        _STATES.get(state) or TokenState(state),
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
    )


def run_from_row(row: tuple[Any, ...]) -> RunRecord:
    """A `RunRecord` from a row selected with `RUN_COLUMNS`."""
    return RunRecord(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        loads_dict(row[5]),
        loads_dict(row[6]) or {},
        row[7],
        row[8],
    )


_IDENTITY_MAX = 16


def normalised(rec: PartnerRecord) -> PartnerRecord:
    """`rec` with CC and PID stripped and uppercased; ValueError for what the schema refuses.

    Identity fields come from the partner and are taken as sent (empty while unknown): a
    strict check here could fail the very transaction that stores their TOKEN_C.
    """
    cc = rec.country_code.strip().upper()
    pid = rec.party_id.strip().upper()
    if len(cc) > _IDENTITY_MAX or len(pid) > _IDENTITY_MAX:
        raise ValueError("country_code and party_id are short codes")
    if rec.our_role not in OUR_ROLES:
        raise ValueError(f"our_role must be one of {sorted(OUR_ROLES)}")
    if rec.status not in PARTNER_STATUSES:
        raise ValueError(f"status must be one of {sorted(PARTNER_STATUSES)}")
    if rec.token_encoding not in TOKEN_ENCODINGS:
        raise ValueError(f"token_encoding must be one of {sorted(TOKEN_ENCODINGS)}")
    if not isinstance(rec.roles, list) or not isinstance(rec.endpoints, list):
        raise ValueError("roles and endpoints must be lists")
    if cc == rec.country_code and pid == rec.party_id:  # already normal: the record itself
        return rec  # (a frozen copy is ~5 µs: every partner save makes one)
    return dataclasses.replace(rec, country_code=cc, party_id=pid)


def partner_values(rec: PartnerRecord) -> tuple[Any, ...]:
    """A partner's stored columns from country_code to hub_party_id, in schema order."""
    return (
        rec.country_code,
        rec.party_id,
        rec.business_name,
        dumps(rec.roles),
        rec.versions_url,
        rec.ocpi_version,
        dumps(rec.endpoints),
        rec.our_role,
        rec.status,
        rec.token_encoding,
        rec.hub_party_id,
    )


def json_or_none(value: dict[str, Any] | None) -> str | None:
    return None if value is None else dumps(value)
