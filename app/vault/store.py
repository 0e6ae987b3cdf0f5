"""The Vault: the one narrow API through which the app keeps partners, tokens and runs.

Nothing else in the app touches SQL or token ciphertext. Every write that spans more than
one statement runs in one ``db.atomic()`` block (sqlite-utils otherwise commits statement
by statement), so a crash leaves the last complete state; `transaction()` lets the engine
group its own steps the same way. Token values go in as `Secret` and come out only through
`reveal`; records never carry one. Storing an active TOKEN_C consumes the partner's TOKEN_A
in the same transaction: TOKEN_A is single use. Use a Vault from the thread that opened it
(SQLite's default); the GUI can run `derive_key` in a worker thread instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hmac
import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from app.core.tokens import Secret, TokenRole, fingerprint
from app.vault.audit import AuditTrail
from app.vault.crypto import (
    DerivedKey,
    InvalidTag,
    KdfParams,
    TokenCipher,
    new_key,
    token_aad,
)
from app.vault.errors import VaultError, from_sqlite
from app.vault.export import open_export, seal_export, write_private
from app.vault.files import (
    VaultLock,
    ensure_private_dir,
    private_umask,
    resolve_path,
    side_files,
    tidy_on_failure,
    tighten_file_modes,
)
from app.vault.keys import (
    KEYRING,
    PASSPHRASE,
    KeySlot,
    env_passphrase,
    keyring_forget,
    keyring_usable,
    make_keyring_slot,
    make_passphrase_slot,
    open_passphrase_slot,
    slot_params,
    unlock,
)
from app.vault.pgdb import is_database_url
from app.vault.records import (
    CREDENTIAL_COLUMNS,
    OUR_ROLES,
    PARTNER_COLUMNS,
    PARTNER_STATUSES,
    RUN_COLUMNS,
    TOKEN_ENCODINGS,
    CredentialRecord,
    Direction,
    PartnerRecord,
    RunKind,
    RunOutcome,
    RunRecord,
    TokenState,
    credential_from_row,
    dumps,
    now_iso,
    partner_from_row,
    run_from_row,
)
from app.vault.schema import APPLICATION_ID, FileState, inspect, latest_version, migrate
from app.vault.sqlitedb import SqliteDatabase as Database

EXPORT_KIND = "ocpi-onboard/vault-export"

# "NL-ABC", "nl abc", "NL*ABC", "NLABC"; "#12" or "12" is an id.
_REF = re.compile(r"([A-Za-z]{2})\s*[-*/:. ]\s*([^\s]{1,16})|([A-Za-z]{2})([A-Za-z0-9]{3})")
_ID_REF = re.compile(r"#?\s*(\d{1,18})")
_RUN_ID = re.compile(r"[0-9a-f]{1,32}")
_IDENTITY_MAX = 16
_FINGERPRINT = re.compile(r"(?:([ABCabc])\s*[·.\-:_ ]?\s*)?([0-9a-fA-F]{6})")
# Best first when one value or fingerprint matches several rows.
_STATE_RANK = "CASE state WHEN 'active' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, id DESC"
_SEARCH = (
    " (country_code LIKE :q ESCAPE '\\' OR party_id LIKE :q ESCAPE '\\'"
    " OR business_name LIKE :q ESCAPE '\\' OR country_code || '-' || party_id LIKE :q ESCAPE '\\')"
)


def _has_content(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def _ref_detail(ref: object) -> str:
    """`ref` as shown in a message, unless it may be something pasted by mistake."""
    text = str(ref).strip()
    if _ID_REF.fullmatch(text) or _REF.fullmatch(text):
        return text
    return "(unrecognised reference)"


def _run_detail(run_id: object) -> str:
    text = str(run_id).strip()
    return text if _RUN_ID.fullmatch(text) else "(unrecognised run id)"


def _connect(path: Path) -> Database:
    conn = sqlite3.connect(str(path), timeout=5.0)
    try:
        db = Database(conn)
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA secure_delete = ON")
        db.execute("PRAGMA synchronous = FULL")
        db.enable_wal()
    except BaseException:
        conn.close()
        raise
    return db


def _normalised(rec: PartnerRecord) -> PartnerRecord:
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
    return dataclasses.replace(rec, country_code=cc, party_id=pid)


def _like(search: str) -> str:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Vault:
    """An open, unlocked vault. Build it with `Vault.open` (or `Vault.import_from`)."""

    def __init__(
        self,
        path: Path,
        db: Database,
        lock: VaultLock,
        data_key: bytes,
        vault_id: str,
        slots: dict[str, KeySlot],
        *,
        created_now: bool = False,
    ) -> None:
        self._path = path
        self._db: Database | None = db
        self._lock = lock
        self._data_key = data_key
        self._cipher = TokenCipher(data_key)
        self._vault_id = vault_id
        self._slots = slots
        self._created_now = created_now
        self.audit = AuditTrail(self)

    # --- opening and closing ------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        passphrase: str | DerivedKey | None = None,
        use_keyring: bool = True,
    ) -> Vault:
        """Open (or create) the vault at `path`, default the platformdirs user data dir.

        The key comes from `passphrase` (a str, or a `DerivedKey` from `derive_key` run in a
        worker thread), else OCPI_ONBOARD_PASSPHRASE, else the OS keyring (if `use_keyring`
        and a real backend exists). A new vault gets a passphrase slot if a passphrase is
        given, else a keyring slot. VaultError: vault.locked, vault.wrong_passphrase,
        vault.in_use, vault.corrupt, vault.too_new, vault.disk_full. A file that cannot be
        opened properly is left exactly as it was.
        """
        if is_database_url(path):  # the team vault (app/vault/team.py)
            from app.vault.team import TeamVault

            return TeamVault.open_url(str(path).strip(), passphrase)
        vault_path = resolve_path(path)
        secret: str | DerivedKey | None = passphrase or env_passphrase()
        creating = not _has_content(vault_path)
        if creating and secret is None and not (use_keyring and keyring_usable()):
            raise VaultError("vault.locked")
        ensure_private_dir(vault_path.parent, ours=path is None)
        lock = VaultLock.acquire(vault_path)
        try:
            with tidy_on_failure(vault_path), private_umask():
                state = inspect(vault_path)
                if state.new:
                    vault = cls._create(vault_path, lock, secret, use_keyring)
                else:
                    data_key = unlock(state.slots, state.vault_id, secret, use_keyring)
                    vault = cls._attach(vault_path, lock, data_key, state)
        except BaseException:
            lock.release()
            raise
        tighten_file_modes(vault_path)
        return vault

    @classmethod
    def _create(
        cls, path: Path, lock: VaultLock, secret: str | DerivedKey | None, use_keyring: bool
    ) -> Vault:
        data_key = new_key()
        vault_id = uuid.uuid4().hex
        if secret is not None:
            slot = make_passphrase_slot(data_key, vault_id, secret)
        elif use_keyring:
            slot = make_keyring_slot(data_key, vault_id)
        else:
            raise VaultError("vault.locked")
        try:
            db = _connect(path)
        except sqlite3.Error as exc:
            if slot.kind == KEYRING:
                keyring_forget(vault_id)
            raise from_sqlite(exc) from exc
        try:
            now = now_iso()
            with db.atomic():
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                migrate(db, 0)
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('vault_id', ?), ('created', ?),"
                    " ('app', 'ocpi-onboard')",
                    (vault_id, now),
                )
                db.execute(
                    "INSERT INTO keyslots (kind, params, wrapped, created, updated)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (slot.kind, slot.params_json, slot.wrapped, now, now),
                )
        except BaseException as exc:
            db.close()
            if slot.kind == KEYRING:
                keyring_forget(vault_id)
            if isinstance(exc, sqlite3.Error):
                raise from_sqlite(exc) from exc
            raise
        return cls(path, db, lock, data_key, vault_id, {slot.kind: slot}, created_now=True)

    @classmethod
    def _attach(cls, path: Path, lock: VaultLock, data_key: bytes, state: FileState) -> Vault:
        try:
            db = _connect(path)
        except sqlite3.Error as exc:
            raise from_sqlite(exc) from exc
        try:
            if state.version < latest_version():
                with db.atomic():
                    migrate(db, state.version)
        except BaseException as exc:
            db.close()
            if isinstance(exc, sqlite3.Error):
                raise from_sqlite(exc) from exc
            raise
        return cls(path, db, lock, data_key, state.vault_id, dict(state.slots))

    @staticmethod
    def kdf_params(path: Path | str | None = None) -> KdfParams | None:
        """The scrypt params of the vault's passphrase slot, read-only and without the lock.

        None for a new file or a vault without a passphrase. For the GUI: derive the key
        with ``derive_key(passphrase, Vault.kdf_params(path) or KdfParams.fresh())`` in a
        worker thread, then ``Vault.open(path, derived_key)``.
        """
        if is_database_url(path):
            from app.vault.team import TeamVault

            params: KdfParams | None = TeamVault.kdf_params_for(str(path).strip())
            return params
        vault_path = resolve_path(path)
        with private_umask():
            state = inspect(vault_path)
        if state.new or PASSPHRASE not in state.slots:
            return None
        return slot_params(state.slots[PASSPHRASE])

    def close(self) -> None:
        """Close the database and release the lock; safe to call twice."""
        db, self._db = self._db, None
        if db is None:
            return
        try:
            db.close()
        finally:
            self._lock.release()
            self._data_key = b""
            tighten_file_modes(self._path)

    def __enter__(self) -> Vault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._db is None else "open"
        return f"Vault({str(self._path)!r}, {state})"

    @property
    def path(self) -> Path:
        return self._path

    @property
    def location(self) -> str:
        """Where the vault lives, for labels: the file, or the team vault's URL (no password)."""
        return str(self._path)

    def watch(self, on_change: Callable[[int | None], None]) -> Callable[[], None]:
        """Colleagues' changes (team vault). A personal vault has no colleagues: no-op."""
        return lambda: None

    @property
    def vault_id(self) -> str:
        return self._vault_id

    @property
    def schema_version(self) -> int:
        row = self._read("SELECT MAX(version) FROM schema_version")
        return int(row[0][0])

    @property
    def closed(self) -> bool:
        return self._db is None

    # --- plumbing ----------------------------------------------------------------------

    @property
    def _database(self) -> Database:
        if self._db is None:
            raise RuntimeError("the vault is closed")
        return self._db

    @contextlib.contextmanager
    def _write(self, durable: bool = True) -> Iterator[None]:
        """One atomic write. `durable=False` (outermost only) commits without fsync: safe
        against a killed process (WAL), not against power loss; for run positions and
        transcripts, never for tokens. Each fsync costs 0.3-2 ms here."""
        db = self._database
        relax = not durable and not db.conn.in_transaction
        try:
            if relax:
                db.execute("PRAGMA synchronous = NORMAL")
            try:
                with db.atomic():
                    yield
            finally:
                if relax:
                    db.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            raise from_sqlite(exc) from exc

    def _exec(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self._database.execute(sql, params)

    def _read(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        try:
            return self._database.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise from_sqlite(exc) from exc

    @contextlib.contextmanager
    def transaction(self, durable: bool = True) -> Iterator[Vault]:
        """All vault writes inside commit together or not at all (nests as savepoints).

        `durable=False` skips the fsync at commit (see `_write`): for bookkeeping that a
        power cut may lose without losing a token.
        """
        with self._write(durable):
            yield self

    # --- partners ------------------------------------------------------------------------

    def save_partner(self, rec: PartnerRecord) -> PartnerRecord:
        """Insert (``rec.id`` None) or update a partner; returns it as stored.

        Country code and party id may be empty while unknown. VaultError
        vault.partner_exists if another live (not "replaced") partner has the same CC-PID,
        vault.peer_unknown if ``rec.id`` names no partner. ValueError for invalid fields.
        """
        rec = _normalised(rec)
        now = now_iso()
        values = (*_partner_values(rec), rec.last_checked)
        with self._write():
            if rec.country_code and rec.party_id and rec.status != "replaced":
                clash = self._read(
                    "SELECT id FROM partners WHERE country_code = ? AND party_id = ?"
                    " AND status != 'replaced' AND id != ?",
                    (rec.country_code, rec.party_id, -1 if rec.id is None else rec.id),
                )
                if clash:
                    raise VaultError("vault.partner_exists", rec.ref)
            if rec.id is None:
                cursor = self._exec(
                    "INSERT INTO partners (country_code, party_id, business_name, roles,"
                    " versions_url, ocpi_version, endpoints, our_role, status, token_encoding,"
                    " hub_party_id, last_checked, created, updated)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, rec.created or now, now),
                )
                partner_id = int(cursor.lastrowid or 0)
            else:
                cursor = self._exec(
                    "UPDATE partners SET country_code = ?, party_id = ?, business_name = ?,"
                    " roles = ?, versions_url = ?, ocpi_version = ?, endpoints = ?,"
                    " our_role = ?, status = ?, token_encoding = ?, hub_party_id = ?,"
                    " last_checked = ?, updated = ? WHERE id = ?",
                    (*values, now, rec.id),
                )
                if cursor.rowcount == 0:
                    raise VaultError("vault.peer_unknown", str(rec.id))
                partner_id = rec.id
            return self.partner(partner_id)

    def partner(self, ref: int | str) -> PartnerRecord:
        """A partner by id (int or numeric string) or ``CC-PID`` (any case).

        VaultError vault.peer_unknown if there is none.
        """
        found = self._partner_or_none(ref)
        if found is None:
            raise VaultError("vault.peer_unknown", _ref_detail(ref))
        return found

    def _partner_or_none(self, ref: int | str) -> PartnerRecord | None:
        if isinstance(ref, int) and not isinstance(ref, bool):
            rows = self._read(f"SELECT {PARTNER_COLUMNS} FROM partners WHERE id = ?", (ref,))
            return partner_from_row(rows[0]) if rows else None
        if not isinstance(ref, str):
            return None
        text = ref.strip()
        by_id = _ID_REF.fullmatch(text)
        if by_id:
            return self._partner_or_none(int(by_id[1]))
        match = _REF.fullmatch(text)
        if match is None:
            return None
        return self.find_partner(match[1] or match[3], match[2] or match[4])

    def find_partner(self, country_code: str, party_id: str) -> PartnerRecord | None:
        """The partner with this country code and party id (case-insensitive), or None.

        The live row wins over rows marked "replaced" (then the newest).
        """
        rows = self._read(
            f"SELECT {PARTNER_COLUMNS} FROM partners WHERE country_code = ? AND party_id = ?"
            " ORDER BY status = 'replaced', id DESC LIMIT 1",
            (country_code.strip().upper(), party_id.strip().upper()),
        )
        return partner_from_row(rows[0]) if rows else None

    @staticmethod
    def _partner_filter(search: str | None, status: str | None) -> tuple[str, dict[str, Any]]:
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if search and search.strip():
            clauses.append(_SEARCH)
            params["q"] = _like(search.strip())
        if status is not None:
            if status not in PARTNER_STATUSES:
                raise ValueError(f"status must be one of {sorted(PARTNER_STATUSES)}")
            clauses.append(" status = :status")
            params["status"] = status
        where = " WHERE" + " AND".join(clauses) if clauses else ""
        return where, params

    def partners(
        self,
        search: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[PartnerRecord]:
        """Partners ordered by country code and party id.

        `search` matches country code, party id, ``CC-PID`` or business name (substring,
        ASCII case-insensitive); `status` filters exactly; `limit`/`offset` page.
        """
        where, params = self._partner_filter(search, status)
        sql = f"SELECT {PARTNER_COLUMNS} FROM partners{where} ORDER BY country_code, party_id"
        if limit is not None or offset:
            sql += " LIMIT :limit OFFSET :offset"
            params["limit"] = -1 if limit is None else max(limit, 0)
            params["offset"] = max(offset, 0)
        return list(map(partner_from_row, self._read(sql, params)))

    def count_partners(self, search: str | None = None, status: str | None = None) -> int:
        where, params = self._partner_filter(search, status)
        return int(self._read(f"SELECT COUNT(*) FROM partners{where}", params)[0][0])

    def delete_partner(self, partner_id: int | str) -> None:
        """Delete a partner and all its tokens; its runs stay, detached (partner_id None)."""
        with self._write():
            pid = self.partner(partner_id).id
            self._exec("DELETE FROM credentials WHERE partner_id = ?", (pid,))
            self._exec("UPDATE runs SET partner_id = NULL WHERE partner_id = ?", (pid,))
            self._exec("DELETE FROM partners WHERE id = ?", (pid,))

    def _require_partner(self, partner_id: int) -> None:
        if not self._read("SELECT 1 FROM partners WHERE id = ?", (partner_id,)):
            raise VaultError("vault.peer_unknown", _ref_detail(partner_id))

    def _require_run(self, run_id: str) -> None:
        if not self._read("SELECT 1 FROM runs WHERE id = ?", (run_id,)):
            raise VaultError("vault.run_unknown", _run_detail(run_id))

    # --- tokens --------------------------------------------------------------------------

    def add_token(
        self,
        partner_id: int,
        role: TokenRole,
        direction: Direction,
        value: Secret,
        state: TokenState = TokenState.PENDING,
        run_id: str | None = None,
    ) -> CredentialRecord:
        """Store a token value, encrypted; returns its record (never the value).

        Adding an ACTIVE token supersedes the partner's other active token of the same role
        and direction; an ACTIVE TOKEN_C (OUTBOUND when we registered, INBOUND when they did)
        also marks the partner's pending or active TOKEN_A CONSUMED, in the same transaction.
        """
        if not isinstance(value, Secret):
            raise TypeError("add_token takes the value as a Secret")
        role, direction, state = TokenRole(role), Direction(direction), TokenState(state)
        raw = value.reveal()
        if not raw:
            raise ValueError("the token is empty")
        now = now_iso()
        with self._write():
            self._require_partner(partner_id)
            if run_id is not None:
                self._require_run(run_id)
            cred_id = self._insert_token(
                None, partner_id, role, direction, state, raw, now, None, None, run_id
            )
            if state is TokenState.ACTIVE:
                self._activated(partner_id, role, direction, cred_id)
            return self._credential(cred_id)

    def _insert_token(
        self,
        cred_id: int | None,
        partner_id: int,
        role: TokenRole,
        direction: Direction,
        state: TokenState,
        raw: str,
        created: str,
        last_used: str | None,
        revoked: str | None,
        run_id: str | None,
    ) -> int:
        """Insert the row, then encrypt with the row id in the associated data."""
        if state is TokenState.REVOKED and revoked is None:
            revoked = created
        cursor = self._exec(
            "INSERT INTO credentials (id, partner_id, role, direction, state, ciphertext,"
            " lookup, fingerprint, created, last_used, revoked, run_id)"
            " VALUES (?, ?, ?, ?, ?, x'', ?, ?, ?, ?, ?, ?)",
            (
                cred_id,
                partner_id,
                role.value,
                direction.value,
                state.value,
                self._cipher.lookup(raw),
                fingerprint(raw, role),
                created,
                last_used,
                revoked,
                run_id,
            ),
        )
        row_id = int(cursor.lastrowid or 0)
        blob = self._cipher.encrypt(raw, token_aad(partner_id, role.value, row_id))
        self._exec("UPDATE credentials SET ciphertext = ? WHERE id = ?", (blob, row_id))
        return row_id

    def _activated(
        self, partner_id: int, role: TokenRole, direction: Direction, cred_id: int
    ) -> None:
        """One active token per (partner, role, direction); an active TOKEN_C (the end of
        a handshake, either flow) consumes the partner's TOKEN_A."""
        self._exec(
            "UPDATE credentials SET state = 'superseded' WHERE partner_id = ? AND role = ?"
            " AND direction = ? AND state = 'active' AND id != ?",
            (partner_id, role.value, direction.value, cred_id),
        )
        if role is TokenRole.C:
            self._exec(
                "UPDATE credentials SET state = 'consumed' WHERE partner_id = ? AND role = 'A'"
                " AND state IN ('pending', 'active')",
                (partner_id,),
            )

    def _credential(self, cred_id: int) -> CredentialRecord:
        rows = self._read(f"SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE id = ?", (cred_id,))
        if not rows:
            raise VaultError("vault.credential_unknown", _ref_detail(cred_id))
        return credential_from_row(rows[0])

    def credential(self, cred_id: int) -> CredentialRecord:
        """A token's record by id; VaultError vault.credential_unknown if there is none."""
        return self._credential(cred_id)

    def set_token_state(self, cred_id: int, state: TokenState) -> CredentialRecord:
        """Move a token to `state`. CONSUMED, SUPERSEDED and REVOKED are final (ValueError
        when leaving them for PENDING or ACTIVE: a consumed TOKEN_A never comes back).
        Activating follows the same rules as `add_token`."""
        state = TokenState(state)
        with self._write():
            current = self._credential(cred_id)
            if current.state is state:
                return current
            if current.state.final and not state.final:
                raise ValueError(
                    f"token #{cred_id} ({current.fingerprint}) is {current.state};"
                    f" it cannot become {state}"
                )
            revoked = now_iso() if state is TokenState.REVOKED else None
            self._exec(
                "UPDATE credentials SET state = ?, revoked = COALESCE(revoked, ?) WHERE id = ?",
                (state.value, revoked, cred_id),
            )
            if state is TokenState.ACTIVE:
                self._activated(current.partner_id, current.role, current.direction, cred_id)
            return self._credential(cred_id)

    def tokens(
        self,
        partner_id: int | None,
        role: TokenRole | None = None,
        direction: Direction | None = None,
        state: TokenState | None = None,
    ) -> list[CredentialRecord]:
        """A partner's tokens (oldest first), optionally filtered; `None`: every partner's
        (one query where a loop over partners would make thousands)."""
        sql = f"SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE 1 = 1"
        params: list[Any] = []
        if partner_id is not None:
            sql += " AND partner_id = ?"
            params.append(partner_id)
        for column, value in (
            ("role", None if role is None else TokenRole(role)),
            ("direction", None if direction is None else Direction(direction)),
            ("state", None if state is None else TokenState(state)),
        ):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value.value)
        return [credential_from_row(row) for row in self._read(sql + " ORDER BY id", params)]

    def token_by_fingerprint(self, fp: str) -> CredentialRecord:
        """The token with this fingerprint (``C·3f9c2a``; also ``C-3f9c2a``, ``c3f9c2a`` or
        ``3f9c2a``). Active, then pending, then newest win a collision.
        VaultError vault.token_unknown if none."""
        match = _FINGERPRINT.fullmatch(fp.strip())
        if match is None:
            raise VaultError("vault.token_unknown", "(not a fingerprint)")
        roles = [match[1].upper()] if match[1] else ["A", "B", "C"]
        digest = match[2].lower()
        candidates = [fingerprint_for(role, digest) for role in roles]
        marks = ", ".join("?" for _ in candidates)
        rows = self._read(
            f"SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE fingerprint IN ({marks})"
            f" ORDER BY {_STATE_RANK} LIMIT 1",
            candidates,
        )
        if not rows:
            raise VaultError("vault.token_unknown", candidates[0] if match[1] else digest)
        return credential_from_row(rows[0])

    def find_token(self, value: Secret) -> CredentialRecord | None:
        """The stored token with this value, any partner (keyed-hash lookup), or None.

        Active, then pending, then newest win if the same value is stored twice.
        """
        rows = self._read(
            f"SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE lookup = ?"
            f" ORDER BY {_STATE_RANK} LIMIT 1",
            (self._cipher.lookup(value.reveal()),),
        )
        return credential_from_row(rows[0]) if rows else None

    def reveal(self, cred_id: int) -> Secret:
        """The token value, decrypted: the one explicit way out.

        VaultError vault.tampered if the ciphertext, its row or its labels were altered.
        """
        rows = self._read(
            "SELECT partner_id, role, ciphertext, lookup, fingerprint FROM credentials"
            " WHERE id = ?",
            (cred_id,),
        )
        if not rows:
            raise VaultError("vault.credential_unknown", _ref_detail(cred_id))
        partner_id, role, blob, lookup, fp = rows[0]
        try:
            value = self._cipher.decrypt(bytes(blob), token_aad(partner_id, role, cred_id))
        except InvalidTag:
            raise VaultError("vault.tampered", fp) from None
        if fingerprint(value, role) != fp or not hmac.compare_digest(
            self._cipher.lookup(value), lookup
        ):
            raise VaultError("vault.tampered", fp)
        return Secret(value, role)

    def disclose(self, cred_id: int, action: str = "reveal") -> Secret:
        """`reveal` for a person (Reveal, Copy in the GUI): recorded in the audit trail in
        the same transaction, so no value leaves unrecorded."""
        with self._write():
            value = self.reveal(cred_id)
            self.audit.record_token(action, self._credential(cred_id))
        return value

    def mark_used(self, cred_id: int) -> None:
        """Record that the token was just used (``last_used`` = now)."""
        with self._write():
            cursor = self._exec(
                "UPDATE credentials SET last_used = ? WHERE id = ?", (now_iso(), cred_id)
            )
            if cursor.rowcount == 0:
                raise VaultError("vault.credential_unknown", _ref_detail(cred_id))

    # --- runs ----------------------------------------------------------------------------

    def start_run(
        self,
        kind: str,
        partner_id: int | None = None,
        state: str = "new",
        data: dict[str, Any] | None = None,
    ) -> RunRecord:
        """Record a run (outcome running) before its first side effect."""
        kind = RunKind(kind).value
        run_id = uuid.uuid4().hex
        now = now_iso()
        with self._write():
            if partner_id is not None:
                self._require_partner(partner_id)
            self._exec(
                "INSERT INTO runs (id, kind, partner_id, state, outcome, diagnosis, data,"
                " created, updated) VALUES (?, ?, ?, ?, 'running', NULL, ?, ?, ?)",
                (run_id, kind, partner_id, state, dumps(data or {}), now, now),
            )
            return self.run(run_id)

    def update_run(
        self,
        run_id: str,
        *,
        state: str | None = None,
        outcome: str | None = None,
        diagnosis: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        partner_id: int | None = None,
    ) -> RunRecord:
        """Change a run; None leaves a field as is. `data` is merged (shallow) into the
        stored data, so the engine can record progress piece by piece."""
        outcome = None if outcome is None else RunOutcome(outcome).value
        with self._write():
            current = self.run(run_id)
            if partner_id is not None:
                self._require_partner(partner_id)
            merged = current.data if data is None else {**current.data, **data}
            self._exec(
                "UPDATE runs SET state = ?, outcome = ?, diagnosis = ?, data = ?,"
                " partner_id = ?, updated = ? WHERE id = ?",
                (
                    current.state if state is None else state,
                    outcome or current.outcome,
                    dumps(diagnosis) if diagnosis is not None else _json_or_none(current.diagnosis),
                    dumps(merged),
                    current.partner_id if partner_id is None else partner_id,
                    now_iso(),
                    run_id,
                ),
            )
            updated = self.run(run_id)
            if not current.finished and updated.finished:
                self.audit.run_finished(updated)
            return updated

    def run(self, run_id: str) -> RunRecord:
        """A run by id; VaultError vault.run_unknown if there is none."""
        rows = self._read(f"SELECT {RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise VaultError("vault.run_unknown", _run_detail(run_id))
        return run_from_row(rows[0])

    def runs(self, partner_id: int | None = None, unfinished_only: bool = False) -> list[RunRecord]:
        """Runs, oldest first; `unfinished_only` keeps those still marked running."""
        clauses, params = [], []
        if partner_id is not None:
            clauses.append("partner_id = ?")
            params.append(partner_id)
        if unfinished_only:
            clauses.append("outcome = 'running'")
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._read(f"SELECT {RUN_COLUMNS} FROM runs{where} ORDER BY created, rowid", params)
        return [run_from_row(row) for row in rows]

    def append_transcript(self, run_id: str, entry: dict[str, Any]) -> None:
        """Append an (already redacted) entry to a run's transcript.

        TypeError if the entry is not plain JSON (a `Secret` inside is refused that way).
        """
        text = dumps(entry)
        with self._write():
            self._require_run(run_id)
            self._exec(
                "INSERT INTO transcript (run_id, created, entry) VALUES (?, ?, ?)",
                (run_id, now_iso(), text),
            )

    def transcript(self, run_id: str) -> list[dict[str, Any]]:
        """A run's transcript entries in the order they were appended."""
        rows = self._read("SELECT entry FROM transcript WHERE run_id = ? ORDER BY id", (run_id,))
        return [json.loads(row[0]) for row in rows]

    # --- keys ----------------------------------------------------------------------------

    def key_slots(self) -> list[str]:
        """How this vault can be unlocked: "keyring" and/or "passphrase"."""
        return sorted(self._slots)

    def _store_slot(self, slot: KeySlot) -> None:
        now = now_iso()
        with self._write():
            self._exec(
                "INSERT INTO keyslots (kind, params, wrapped, created, updated)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind) DO UPDATE SET"
                " params = excluded.params, wrapped = excluded.wrapped,"
                " updated = excluded.updated",
                (slot.kind, slot.params_json, slot.wrapped, now, now),
            )
        self._slots[slot.kind] = slot

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-wrap the data key under `new` (tokens are not re-encrypted).

        VaultError vault.wrong_passphrase if `old` is wrong (nothing changes). A vault
        without a passphrase gets one with `set_passphrase`.
        """
        slot = self._slots.get(PASSPHRASE)
        if slot is None:
            raise ValueError("this vault has no passphrase yet: use set_passphrase")
        data_key = open_passphrase_slot(slot, self._vault_id, old)
        if not hmac.compare_digest(data_key, self._data_key):
            raise VaultError("vault.wrong_passphrase")
        self._store_slot(make_passphrase_slot(self._data_key, self._vault_id, new))

    def set_passphrase(self, new: str) -> None:
        """Add a passphrase to a vault that opens only with the OS keyring."""
        if PASSPHRASE in self._slots:
            raise ValueError("this vault has a passphrase: use change_passphrase")
        self._store_slot(make_passphrase_slot(self._data_key, self._vault_id, new))

    def enable_keyring(self) -> None:
        """Also keep a wrap key in the OS keyring, so the vault opens without a passphrase.

        VaultError vault.locked if no real OS keyring is available.
        """
        self._store_slot(make_keyring_slot(self._data_key, self._vault_id))

    def disable_keyring(self) -> None:
        """Drop the keyring slot and its key; needs a passphrase slot (ValueError if none)."""
        if KEYRING not in self._slots:
            return
        if PASSPHRASE not in self._slots:
            raise ValueError("set a passphrase first: it would be the only way in")
        with self._write():
            self._exec("DELETE FROM keyslots WHERE kind = ?", (KEYRING,))
        del self._slots[KEYRING]
        keyring_forget(self._vault_id)

    # --- export and import ---------------------------------------------------------------

    def _dump(self) -> dict[str, Any]:
        """The whole vault as plain data, token values included (read in one snapshot)."""
        with self._write():
            partners = [dataclasses.asdict(p) for p in self.partners()]
            credentials = []
            rows = self._read(f"SELECT {CREDENTIAL_COLUMNS} FROM credentials ORDER BY id")
            for record in map(credential_from_row, rows):
                item = dataclasses.asdict(record)
                item["value"] = self.reveal(record.id).reveal()
                credentials.append(item)
            runs = [dataclasses.asdict(r) for r in self.runs()]
            from app.vault.profiles import ProfileStore  # one module per table (issue 11)

            profiles = ProfileStore(self).dump()
            transcript = [
                {"id": row[0], "run_id": row[1], "created": row[2], "entry": json.loads(row[3])}
                for row in self._read(
                    "SELECT id, run_id, created, entry FROM transcript ORDER BY id"
                )
            ]
        return {
            "kind": EXPORT_KIND,
            "schema": latest_version(),
            "exported": now_iso(),
            "vault_id": self._vault_id,
            "partners": partners,
            "credentials": credentials,
            "runs": runs,
            "transcript": transcript,
            "profiles": profiles,
        }

    def export_to(self, path: Path, passphrase: str) -> None:
        """Write the whole vault, encrypted under `passphrase`, to `path` (mode 0600).

        The file is written to a temporary name and renamed, so a failure leaves any
        earlier file at `path` whole. VaultError vault.tampered if a stored token fails its
        check, vault.disk_full if the disk is full.
        """
        target = Path(path).expanduser().absolute()
        if target in side_files(self._path):
            raise ValueError("an export cannot overwrite the vault itself")
        dump = self._dump()
        self.audit.record("export")
        data = seal_export(dump, passphrase)
        try:
            write_private(target, data)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise VaultError("vault.disk_full", "the disk is full") from exc
            raise VaultError("vault.io_error", exc.strerror or type(exc).__name__) from exc

    @classmethod
    def import_from(
        cls,
        path: Path,
        passphrase: str,
        target: Path | None = None,
        *,
        vault_passphrase: str | DerivedKey | None = None,
        use_keyring: bool = True,
    ) -> Vault:
        """A new vault at `target` (default location if None) filled from an export.

        `passphrase` opens the export; the new vault is keyed like `Vault.open` does it
        (`vault_passphrase`, else OCPI_ONBOARD_PASSPHRASE, else the OS keyring) with a new
        data key. Returns the open vault. VaultError: vault.not_ours (not an export, or
        altered), vault.wrong_passphrase, vault.too_new, vault.target_exists (an import
        never overwrites a vault), vault.locked.
        """
        try:
            data = Path(path).expanduser().read_bytes()
        except OSError as exc:
            raise VaultError("vault.io_error", exc.strerror or type(exc).__name__) from exc
        dump = open_export(data, passphrase)
        if dump.get("kind") != EXPORT_KIND:
            raise VaultError("vault.not_ours", "unexpected content")
        schema = dump.get("schema")
        if isinstance(schema, int) and schema > latest_version():
            raise VaultError("vault.too_new", str(schema))
        target_path = resolve_path(target)
        if _has_content(target_path):
            raise VaultError("vault.target_exists", str(target_path))
        vault = cls.open(target if target is None else target_path, vault_passphrase, use_keyring)
        if not vault._created_now:
            vault.close()
            raise VaultError("vault.target_exists", str(target_path))
        try:
            vault._load(dump)
            vault.audit.record("import")
        except BaseException:
            if KEYRING in vault._slots:
                keyring_forget(vault.vault_id)
            vault.close()
            for file in side_files(target_path):
                with contextlib.suppress(OSError):
                    file.unlink()
            raise
        return vault

    def _load(self, dump: dict[str, Any]) -> None:
        """Insert an export's content, keeping ids; all or nothing."""
        try:
            with self._write():
                for item in dump["partners"]:
                    self._load_partner(item)
                for item in dump["runs"]:
                    self._exec(
                        "INSERT INTO runs (id, kind, partner_id, state, outcome, diagnosis,"
                        " data, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            str(item["id"]),
                            RunKind(item["kind"]).value,
                            item["partner_id"],
                            str(item["state"]),
                            RunOutcome(item["outcome"]).value,
                            _json_or_none(item["diagnosis"]),
                            dumps(item["data"] or {}),
                            str(item["created"]),
                            str(item["updated"]),
                        ),
                    )
                for item in dump["credentials"]:
                    self._insert_token(
                        int(item["id"]),
                        int(item["partner_id"]),
                        TokenRole(item["role"]),
                        Direction(item["direction"]),
                        TokenState(item["state"]),
                        str(item["value"]),
                        str(item["created"]),
                        item["last_used"],
                        item["revoked"],
                        item["run_id"],
                    )
                for item in dump["transcript"]:
                    self._exec(
                        "INSERT INTO transcript (id, run_id, created, entry) VALUES (?, ?, ?, ?)",
                        (
                            int(item["id"]),
                            str(item["run_id"]),
                            item["created"],
                            dumps(item["entry"]),
                        ),
                    )
                from app.vault.profiles import ProfileStore

                ProfileStore(self).load_dump(dump.get("profiles") or [])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise VaultError("vault.not_ours", "unexpected content") from exc
        except VaultError as exc:
            if exc.code == "vault.io_error":
                raise VaultError("vault.not_ours", "inconsistent content") from exc
            raise

    def _load_partner(self, item: dict[str, Any]) -> None:
        fields = {f.name for f in dataclasses.fields(PartnerRecord)}
        rec = _normalised(PartnerRecord(**{k: v for k, v in item.items() if k in fields}))
        self._exec(
            f"INSERT INTO partners ({PARTNER_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                int(item["id"]),
                *_partner_values(rec),
                str(rec.created),
                str(rec.updated),
                rec.last_checked,
            ),
        )


def _partner_values(rec: PartnerRecord) -> tuple[Any, ...]:
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


def fingerprint_for(role: str, digest: str) -> str:
    """The stored fingerprint text for a role and 6 hex digits (see core.tokens)."""
    return f"{role}·{digest}"


def _json_or_none(value: dict[str, Any] | None) -> str | None:
    return None if value is None else dumps(value)
