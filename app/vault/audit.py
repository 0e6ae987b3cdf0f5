"""The audit trail: an append-only, hash-chained record of every secret action.

Who (``OCPI_ONBOARD_MEMBER``, else the OS user), when, which partner and which token
fingerprint: never a token. Each row carries ``mac = HMAC(k, previous mac | row)`` under a
subkey of the data key, and ``meta.audit_head`` holds the last seq and mac with a tag of
its own. So an edited row, a removed row (anywhere, including the newest) or two rows
swapped all fail `verify`, and nobody without the vault key can forge a consistent chain.
Appends take a lock first (an advisory lock on PostgreSQL; SQLite writers are already
serialised), so two team members never fork the chain.

Limits: a wholesale rollback to an earlier copy of the whole database is not detectable
from inside it; keep exports elsewhere for that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.vault.records import CredentialRecord, RunRecord, now_iso
from app.vault.subkeys import subkey

if TYPE_CHECKING:
    from app.vault.store import Vault

MEMBER_ENV = "OCPI_ONBOARD_MEMBER"
HEAD_KEY = "audit_head"
AUDIT_PURPOSE = "ocpi-onboard/audit/v1"
# Run kinds whose end is a secret action (a check only reads).
AUDITED_RUNS = frozenset({"register", "invite", "rotate", "unregister"})
AUDIT_COLUMNS = "seq, at, actor, action, partner_id, peer, fingerprint, run_id, mac"
# Two members appending at once must not both take the same seq (PostgreSQL).
ADVISORY_LOCK = 0x4F435056

MIGRATION_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        partner_id INTEGER,
        peer TEXT NOT NULL DEFAULT '',
        fingerprint TEXT NOT NULL DEFAULT '',
        run_id TEXT,
        mac TEXT NOT NULL)""",
    "CREATE INDEX audit_partner ON audit (partner_id, seq)",
    "CREATE INDEX audit_run ON audit (run_id, seq)",
    "INSERT INTO meta (key, value) VALUES ('audit_head', '')",
)


def current_actor() -> str:
    """The member acting: OCPI_ONBOARD_MEMBER, else the OS user name."""
    named = os.environ.get(MEMBER_ENV, "").strip()
    if named:
        return named
    import getpass  # (termios): the first audited action needs it, not opening the vault

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True)
class AuditEvent:
    """One row of the trail. `peer` is the partner's CC-PID (or #id) at the time."""

    seq: int
    at: str
    actor: str
    action: str
    partner_id: int | None
    peer: str
    fingerprint: str
    run_id: str | None
    mac: str = field(repr=False, default="")

    def to_json(self) -> dict[str, Any]:
        """The contract shape: seq, at, actor, action, peer, fingerprint."""
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "peer": self.peer or None,
            "fingerprint": self.fingerprint or None,
        }

    def line(self) -> str:
        """One readable line (CLI, transcript exports)."""
        what = " ".join(x for x in (self.peer, self.fingerprint) if x)
        return f"#{self.seq} {self.at} {self.actor} {self.action}" + (f" {what}" if what else "")


@dataclass(frozen=True)
class AuditCheck:
    """What `verify` found: intact, how many rows, and each problem by seq."""

    intact: bool
    events: int
    problems: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"intact": self.intact, "events": self.events, "problems": self.problems}


# json.dumps(row, separators=(",", ":"), ensure_ascii=True), the encoder made once (one per
# call otherwise: every event recorded, every row of a chain check)
_MAC_BODY = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode


def _row_mac(key: bytes, prev: str, event: AuditEvent) -> str:
    body = _MAC_BODY(
        [
            event.seq,
            event.at,
            event.actor,
            event.action,
            event.partner_id,
            event.peer,
            event.fingerprint,
            event.run_id,
        ]
    )
    return hmac.new(key, f"{prev}|{body}".encode(), hashlib.sha256).hexdigest()


def _head_tag(key: bytes, seq: int, mac: str) -> str:
    return hmac.new(key, f"head|{seq}|{mac}".encode(), hashlib.sha256).hexdigest()


def _event(row: Any) -> AuditEvent:
    seq, at, actor, action, partner_id, peer, fp, run_id, mac = row
    return AuditEvent(
        int(seq),
        str(at),
        str(actor),
        str(action),
        None if partner_id is None else int(partner_id),
        str(peer or ""),
        str(fp or ""),
        None if run_id is None else str(run_id),
        str(mac),
    )


class AuditTrail:
    """The audit operations of one open vault (``vault.audit``)."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        # Who acts: a team vault's unlocked member; else OCPI_ONBOARD_MEMBER / the OS user.
        self.actor: str | None = None
        self._derived: tuple[bytes, bytes] | None = None  # (data key, its audit subkey)

    def _key(self) -> bytes:
        """The chain's HMAC key, derived once per data key (HKDF each append cost ~0.1 ms)."""
        data_key = self._vault._data_key
        derived = self._derived
        if derived is None or derived[0] != data_key:
            derived = self._derived = (data_key, subkey(data_key, AUDIT_PURPOSE))
        return derived[1]

    def _head(self) -> tuple[int, str, str] | None:
        """(seq, mac, tag) of the newest row; (0, "", "") for an empty chain; None if the
        head row itself is missing."""
        rows = self._vault._read("SELECT value FROM meta WHERE key = ?", (HEAD_KEY,))
        if not rows:
            return None
        text = str(rows[0][0] or "")
        if not text:
            return (0, "", "")
        try:
            data = json.loads(text)
            return (int(data["seq"]), str(data["mac"]), str(data["tag"]))
        except (ValueError, KeyError, TypeError):
            return (-1, "", "")

    def _set_head(self, key: bytes, seq: int, mac: str) -> None:
        value = json.dumps({"seq": seq, "mac": mac, "tag": _head_tag(key, seq, mac)})
        cursor = self._vault._exec("UPDATE meta SET value = ? WHERE key = ?", (value, HEAD_KEY))
        if cursor.rowcount == 0:
            self._vault._exec("INSERT INTO meta (key, value) VALUES (?, ?)", (HEAD_KEY, value))

    # --- writing -------------------------------------------------------------------------

    def record(
        self,
        action: str,
        *,
        partner_id: int | None = None,
        fingerprint: str = "",
        run_id: str | None = None,
        actor: str | None = None,
        peer: str | None = None,
        at: str | None = None,
    ) -> AuditEvent:
        """Append one event (in the caller's transaction if there is one). `actor`, `peer`
        and `at` default to now, the acting member and the partner's CC-PID; a migration
        passes the original ones."""
        vault = self._vault
        with vault._write():
            lock_chain(vault)
            if peer is None and partner_id is not None:
                found = vault._partner_or_none(partner_id)
                peer = found.ref if found is not None else f"#{partner_id}"
            peer = peer or ""
            # the newest row in one read (seq is the primary key); the head record only for
            # an emptied chain, whose numbering goes on after the head's seq
            newest = vault._read("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1")
            seq, prev = (int(newest[0][0]) + 1, str(newest[0][1])) if newest else (1, "")
            if not newest:
                head = self._head()
                if head is not None and head[0] > 0:
                    seq = head[0] + 1
            key = self._key()
            event = AuditEvent(
                seq,
                at or now_iso(),
                actor or self.actor or current_actor(),
                action,
                partner_id,
                peer,
                fingerprint,
                run_id,
            )
            mac = _row_mac(key, prev, event)
            vault._exec(
                f"INSERT INTO audit ({AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, event.at, event.actor, action, partner_id, peer, fingerprint, run_id, mac),
            )
            self._set_head(key, seq, mac)
        return AuditEvent(**{**event.__dict__, "mac": mac})

    def record_token(self, action: str, cred: CredentialRecord) -> AuditEvent:
        """A person saw or took a token value (reveal, copy)."""
        return self.record(
            action, partner_id=cred.partner_id, fingerprint=cred.fingerprint, run_id=cred.run_id
        )

    def run_finished(self, run: RunRecord) -> None:
        """Record the end of a secret run (register, invite, rotate, unregister)."""
        if run.kind not in AUDITED_RUNS or not run.finished:
            return
        if run.state == "forgotten":  # a local forget: each retired token is audited itself
            return
        action = run.kind if run.outcome == "succeeded" else f"{run.kind}.{run.outcome}"
        self.record(
            action,
            partner_id=run.partner_id,
            fingerprint=self._run_fingerprint(run),
            run_id=run.id,
        )

    def _run_fingerprint(self, run: RunRecord) -> str:
        """The token the run is about: its own newest token (TOKEN_C first), else the
        partner's newest TOKEN_C (an unregister revokes tokens an earlier run stored)."""
        order = "ORDER BY CASE role WHEN 'C' THEN 0 WHEN 'B' THEN 1 ELSE 2 END, id DESC LIMIT 1"
        rows = self._vault._read(
            f"SELECT fingerprint FROM credentials WHERE run_id = ? {order}", (run.id,)
        )
        if not rows and run.partner_id is not None:
            rows = self._vault._read(
                "SELECT fingerprint FROM credentials WHERE partner_id = ? AND role = 'C'"
                " ORDER BY id DESC LIMIT 1",
                (run.partner_id,),
            )
        return str(rows[0][0]) if rows else ""

    def rechain(self, old_key: bytes, new_key: bytes) -> None:
        """Re-MAC the whole chain under a new data key (a re-key), after checking it under
        the old one; call inside the re-key's transaction. VaultError vault.audit_broken."""
        from app.vault.errors import VaultError

        check = self._verify_with(subkey(old_key, AUDIT_PURPOSE))
        if not check.intact:
            raise VaultError("vault.audit_broken", str(check.problems[0]["seq"]))
        key = subkey(new_key, AUDIT_PURPOSE)
        prev, last = "", 0
        for event in self.events():
            mac = _row_mac(key, prev, event)
            self._vault._exec("UPDATE audit SET mac = ? WHERE seq = ?", (mac, event.seq))
            prev, last = mac, event.seq
        if last:
            self._set_head(key, last, prev)

    # --- reading -------------------------------------------------------------------------

    def events(
        self, partner_id: int | None = None, peer: str | None = None, run_id: str | None = None
    ) -> list[AuditEvent]:
        """Events in chain order, optionally those of one partner (by id or by the CC-PID
        recorded at the time) or one run."""
        clauses: list[str] = []
        params: list[Any] = []
        if partner_id is not None or peer:
            clauses.append("(partner_id = ? OR peer = ?)")
            params += [-1 if partner_id is None else partner_id, (peer or "").upper()]
        if run_id is not None:
            clauses.append("run_id = ?")
            params.append(run_id)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._vault._read(f"SELECT {AUDIT_COLUMNS} FROM audit{where} ORDER BY seq", params)
        return [_event(row) for row in rows]

    def verify(self) -> AuditCheck:
        """Walk the chain: every row's mac, contiguous seqs from 1, and the head."""
        return self._verify_with(self._key())

    def _verify_with(self, key: bytes) -> AuditCheck:
        problems: list[dict[str, Any]] = []
        events = self.events()
        prev, expected = "", 1
        for event in events:
            if event.seq != expected:
                problems.append(
                    {"seq": expected, "problem": f"rows {expected}..{event.seq - 1} are missing"}
                )
            elif not hmac.compare_digest(_row_mac(key, prev, event), event.mac):
                problems.append({"seq": event.seq, "problem": "edited, moved or forged"})
                # Go on from the stored mac, so one edit is reported once.
            prev, expected = event.mac, event.seq + 1
        head = self._head()
        last = events[-1] if events else None
        if head is None:
            problems.append({"seq": 0, "problem": "the chain's head record is missing"})
        elif last is None:
            if head[0] != 0:
                problems.append({"seq": head[0], "problem": "every row was removed"})
        elif head[0] != last.seq or head[1] != last.mac:
            problems.append(
                {"seq": max(head[0], last.seq), "problem": "the newest rows were removed"}
            )
        elif not hmac.compare_digest(_head_tag(key, head[0], head[1]), head[2]):
            problems.append({"seq": head[0], "problem": "the chain's head record was edited"})
        return AuditCheck(not problems, len(events), problems)


def lock_chain(vault: Vault) -> None:
    """Serialise appends to the chain (PostgreSQL: a transaction-scoped advisory lock)."""
    db = vault._database
    if getattr(db, "dialect", "sqlite") == "postgresql":
        db.execute("SELECT pg_advisory_xact_lock(?)", (ADVISORY_LOCK,))
