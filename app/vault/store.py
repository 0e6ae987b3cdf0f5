"""The Vault: the one narrow API through which the app keeps partners, tokens and runs.

Nothing else in the app touches SQL or token ciphertext. Every write that spans more than
one statement runs in one ``db.atomic()`` block (sqlite-utils otherwise commits statement
by statement), so a crash leaves the last complete state; `transaction()` lets the engine
group its own steps the same way. Token values go in as `Secret` and come out only through
`reveal`; records never carry one. Use a Vault from the thread that opened it (SQLite's
default); the GUI can run `derive_key` in a worker thread instead.

This module opens and creates the vault and keeps partners; the other parts of the API
live beside it: `base` (connection and atomic writes), `credentials` (tokens), `runs`
(runs and their transcripts), `keyslots` (how it unlocks), `backup` (export and import).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.vault.audit import AuditTrail
from app.vault.backends import url_vaults
from app.vault.base import ID_REF, REF, ref_detail
from app.vault.credentials import CredentialsMixin, fingerprint_for
from app.vault.errors import VaultError, from_sqlite
from app.vault.files import (
    VaultLock,
    ensure_private_dir,
    has_content,
    private_umask,
    resolve_path,
    tidy_on_failure,
    tighten_file_modes,
)
from app.vault.kdf import DerivedKey, KdfParams
from app.vault.keys import (
    KEYRING,
    KeySlot,
    Unlocked,
    env_passphrase,
    keyring_forget,
    keyring_usable,
    make_keyring_slot,
    make_passphrase_slot,
    unlock,
)
from app.vault.keyslots import KeySlotsMixin
from app.vault.pgdb import is_database_url
from app.vault.records import (
    PARTNER_COLUMNS,
    PARTNER_STATUSES,
    PartnerRecord,
    normalised,
    now_iso,
    partner_from_row,
    partner_values,
)
from app.vault.runs import RunsMixin
from app.vault.schema import (
    APPLICATION_ID,
    FileState,
    inspect,
    latest_version,
    migrate,
    passphrase_params,
)
from app.vault.sqlitedb import SqliteDatabase as Database
from app.vault.subkeys import new_key

__all__ = ["Vault", "fingerprint_for"]

_SEARCH = (
    " (country_code LIKE :q ESCAPE '\\' OR party_id LIKE :q ESCAPE '\\'"
    " OR business_name LIKE :q ESCAPE '\\' OR country_code || '-' || party_id LIKE :q ESCAPE '\\')"
)


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


def _like(search: str) -> str:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Vault(CredentialsMixin, KeySlotsMixin, RunsMixin):
    """An open, unlocked vault. Build it with `Vault.open` (or `Vault.import_from`)."""

    def __init__(
        self,
        path: Path,
        db: Database,
        lock: VaultLock,
        data_key: bytes | Callable[[], bytes],
        vault_id: str,
        slots: dict[str, KeySlot],
        *,
        created_now: bool = False,
    ) -> None:
        self._path = path
        self._db: Database | None = db
        self._lock = lock
        self._key_later(data_key)  # a callable: unwrapped on first use
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
            vault: Vault = url_vaults().open_url(str(path).strip(), passphrase)
            return vault
        vault_path = resolve_path(path)
        secret: str | DerivedKey | None = passphrase or env_passphrase()
        creating = not has_content(vault_path)
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
                    unlocked = unlock(state.slots, state.vault_id, secret, use_keyring)
                    vault = cls._attach(vault_path, lock, unlocked, state)
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
        import uuid  # (and platform): only a new vault needs an id

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
    def _attach(cls, path: Path, lock: VaultLock, unlocked: Unlocked, state: FileState) -> Vault:
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
        vault = cls(path, db, lock, unlocked.unwrap, state.vault_id, dict(state.slots))
        if unlocked.upgraded is not None:  # a slot from before its key check: add the check
            with contextlib.suppress(VaultError):  # (else at the next open: nothing is lost)
                vault._store_slot(unlocked.upgraded)
        return vault

    @staticmethod
    def kdf_params(path: Path | str | None = None) -> KdfParams | None:
        """The scrypt params of the vault's passphrase slot, read-only and without the lock.

        None for a new file or a vault without a passphrase. For the GUI: derive the key
        with ``derive_key(passphrase, Vault.kdf_params(path) or KdfParams.fresh())`` in a
        worker thread, then ``Vault.open(path, derived_key)``.
        """
        if is_database_url(path):
            params: KdfParams | None = url_vaults().kdf_params_for(str(path).strip())
            return params
        return passphrase_params(resolve_path(path))

    # --- partners ------------------------------------------------------------------------

    def save_partner(self, rec: PartnerRecord) -> PartnerRecord:
        """Insert (``rec.id`` None) or update a partner; returns it as stored.

        Country code and party id may be empty while unknown. VaultError
        vault.partner_exists if another live (not "replaced") partner has the same CC-PID,
        vault.peer_unknown if ``rec.id`` names no partner. ValueError for invalid fields.
        """
        rec = normalised(rec)
        now = now_iso()
        values = (*partner_values(rec), rec.last_checked)
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
                created = rec.created or now
                cursor = self._exec(
                    "INSERT INTO partners (country_code, party_id, business_name, roles,"
                    " versions_url, ocpi_version, endpoints, our_role, status, token_encoding,"
                    " hub_party_id, last_checked, created, updated)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, created, now),
                )
                # the row as inserted, not read back (every column is one we just wrote;
                # a registration inserts its partner before its first request)
                return partner_from_row(
                    (int(cursor.lastrowid or 0), *values[:-1], created, now, values[-1])
                )
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

    def mark_replaced(self, partner_id: int) -> None:
        """Keep an older partner row as history once a new registration took over its
        identity: renamed ``~<id>`` with no country code, status "replaced" (what
        `save_partner` stores for that change, without validating and reading back a row
        nobody uses). VaultError vault.peer_unknown if there is no such partner."""
        with self._write():
            cursor = self._exec(
                "UPDATE partners SET country_code = '', party_id = ?, status = 'replaced',"
                " updated = ? WHERE id = ?",
                (f"~{partner_id}", now_iso(), partner_id),
            )
            if cursor.rowcount == 0:
                raise VaultError("vault.peer_unknown", str(partner_id))

    def partner(self, ref: int | str) -> PartnerRecord:
        """A partner by id (int or numeric string) or ``CC-PID`` (any case).

        VaultError vault.peer_unknown if there is none.
        """
        found = self._partner_or_none(ref)
        if found is None:
            raise VaultError("vault.peer_unknown", ref_detail(ref))
        return found

    def _partner_or_none(self, ref: int | str) -> PartnerRecord | None:
        if isinstance(ref, int) and not isinstance(ref, bool):
            rows = self._read(f"SELECT {PARTNER_COLUMNS} FROM partners WHERE id = ?", (ref,))
            return partner_from_row(rows[0]) if rows else None
        if not isinstance(ref, str):
            return None
        text = ref.strip()
        by_id = ID_REF.fullmatch(text)
        if by_id:
            return self._partner_or_none(int(by_id[1]))
        match = REF.fullmatch(text)
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

    def partner_ids(self, status: str | None = None) -> list[int]:
        """The ids of `partners(status=status)`, in their order, without building records
        (the engine plans its restore of 2,000 registered partners with it)."""
        where, params = self._partner_filter(None, status)
        rows = self._read(f"SELECT id FROM partners{where} ORDER BY country_code, party_id", params)
        return [int(row[0]) for row in rows]

    def partners_by_id(self, ids: Sequence[int]) -> list[PartnerRecord]:
        """The partners with these ids (those that still exist), in one read: the engine
        restores registered partners a slice at a time from the vault's current rows."""
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = self._read(f"SELECT {PARTNER_COLUMNS} FROM partners WHERE id IN ({marks})", ids)
        return list(map(partner_from_row, rows))

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

    # --- export and import ---------------------------------------------------------------

    def export_to(self, path: Path, passphrase: str) -> None:
        """Write the whole vault, encrypted under `passphrase`, to `path` (mode 0600).

        The file is written to a temporary name and renamed, so a failure leaves any
        earlier file at `path` whole. VaultError vault.tampered if a stored token fails its
        check, vault.disk_full if the disk is full.
        """
        from app.vault.backup import export_vault  # (with its profiles: not needed to open)

        export_vault(self, path, passphrase)

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
        from app.vault.backup import import_vault

        return import_vault(cls, path, passphrase, target, vault_passphrase, use_keyring)
