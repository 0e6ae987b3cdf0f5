"""The team vault: the same Vault API on PostgreSQL, shared by several members.

`TeamVault` is a `Vault` whose database is a `PgDatabase` (same schema, same migrations,
same SQL; see `dialect`). The server only ever sees ciphertext, fingerprints and HMAC
lookups: the data key lives in the members' slots (`members`) and in memory.

What a shared database adds, and where it is handled here:
- opening: the acting member (OCPI_ONBOARD_MEMBER, else the OS user) opens their own slot
  with their passphrase; an empty database becomes a team vault with that member first;
  schema creation and migration run under an advisory lock (one member at a time).
- lost updates: a rotation or unregistration starts only if the partner row is the one the
  engine read (row version = ``updated``, checked under ``SELECT ... FOR UPDATE``) and no
  colleague's rotation/unregistration of it is running; else vault.conflict ("a colleague
  changed this partner; reload"). Token pairs are written in one transaction, so the
  loser never leaves half a pair.
- re-keying: removing a member re-encrypts every token under a new data key in one
  transaction; every write checks the key in force (``meta.key_check``, FOR SHARE), so a
  colleague still holding the old key is refused instead of writing unreadable rows.
- change notices: triggers NOTIFY the partner id on every partner or token change;
  `watch` delivers them to a callback from a listener thread (`notify`).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from app.core.tokens import Secret
from app.vault.audit import current_actor
from app.vault.backends import serve_urls
from app.vault.crypto import DerivedKey, InvalidTag, TokenCipher, new_key, subkey, token_aad
from app.vault.errors import VaultError
from app.vault.keys import env_passphrase
from app.vault.members import (
    MEMBER_COLUMNS,
    MemberSlot,
    check_name,
    new_slot,
    open_slot,
    rewrapped,
    slot_params,
    with_new_passphrase,
)
from app.vault.notify import NOTIFY_DDL, NOTIFY_TRIGGER, ChangeListener
from app.vault.pgdb import PgDatabase, redact_url
from app.vault.profiles import reencrypt_client_keys
from app.vault.records import RunRecord, now_iso
from app.vault.schema import latest_version, migrate
from app.vault.store import Vault

SCHEMA_LOCK = 0x4F435057
LEASED_RUNS = ("rotate", "unregister")
# Other modules that keep secrets under the data key re-encrypt them here on a re-key:
# hook(vault, old_cipher, new_cipher), called inside the re-key's transaction.
REKEY_HOOKS: list[Callable[[Vault, TokenCipher, TokenCipher], None]] = [reencrypt_client_keys]


def key_check(data_key: bytes) -> str:
    """A public check value of the data key in force (tells a stale key from the current)."""
    return hmac.new(subkey(data_key, "ocpi-onboard/key-check/v1"), b"", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class MemberInfo:
    name: str
    created: str
    key_fingerprint: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "created": self.created, "key": self.key_fingerprint}


class _NoLock:
    """A team vault is shared: no file lock (the database arbitrates)."""

    def release(self) -> None:
        return None


def _member_fingerprint(slot: MemberSlot) -> str:
    return "K·" + hashlib.sha256(slot.public_key).hexdigest()[:6]


class TeamVault(Vault):
    """A Vault on PostgreSQL with members. Build it with `Vault.open("postgresql://...")`."""

    def __init__(
        self, url: str, db: PgDatabase, data_key: bytes, vault_id: str, member: str
    ) -> None:
        no_file = Path("/nonexistent/ocpi-onboard-team-vault")
        super().__init__(no_file, cast(Any, db), cast(Any, _NoLock()), data_key, vault_id, {})
        self._url = url
        self._pg = db
        self.member = member
        self.audit.actor = member
        self._check = key_check(data_key)
        self._seen: dict[int, str] = {}
        self._listeners: list[ChangeListener] = []

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open_url(
        cls, url: str, passphrase: str | DerivedKey | None = None, member: str | None = None
    ) -> TeamVault:
        """Open (or create) the team vault at `url` as `member` (default: current_actor()).

        VaultError: vault.locked (no passphrase), vault.member_unknown, vault.wrong_passphrase,
        vault.unreachable, vault.too_new.
        """
        secret = passphrase or env_passphrase()
        name = check_name(member or current_actor())
        if secret is None:
            raise VaultError("vault.locked", "a team vault opens with your member passphrase")
        db = PgDatabase.connect(url)
        try:
            db.advisory_lock(SCHEMA_LOCK)
            try:
                created = cls._prepare(db, name, secret)
            finally:
                db.advisory_unlock(SCHEMA_LOCK)
            vault_id = str(
                db.execute("SELECT value FROM meta WHERE key = 'vault_id'").fetchall()[0][0]
            )
            if created is not None:
                return cls(url, db, created, vault_id, name)
            rows = db.execute(f"SELECT {MEMBER_COLUMNS} FROM members WHERE name = ?", (name,))
            found = rows.fetchall()
            if not found:
                raise VaultError("vault.member_unknown", name)
            data_key = open_slot(MemberSlot.from_row(found[0]), vault_id, secret)
            stored = db.execute("SELECT value FROM meta WHERE key = 'key_check'").fetchall()
            if not stored or stored[0][0] != key_check(data_key):
                raise VaultError("vault.locked", "your key slot no longer opens this vault")
            return cls(url, db, data_key, vault_id, name)
        except BaseException:
            db.close()
            raise

    @staticmethod
    def _prepare(db: PgDatabase, name: str, secret: str | DerivedKey) -> bytes | None:
        """Create or migrate the schema; returns the data key if the vault was created."""
        created: bytes | None = None
        if not db.table_exists("schema_version"):
            data_key, vault_id, now = new_key(), uuid.uuid4().hex, now_iso()
            slot = new_slot(name, vault_id, data_key, secret, now)
            with db.atomic():
                migrate(db, 0)  # type: ignore[arg-type]
                for key, value in (
                    ("vault_id", vault_id),
                    ("created", now),
                    ("app", "ocpi-onboard"),
                    ("backend", "postgresql"),
                    ("key_check", key_check(data_key)),
                ):
                    db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
                db.execute(
                    f"INSERT INTO members ({MEMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    slot.row(),
                )
            created = data_key
        else:
            version = db.execute("SELECT MAX(version) FROM schema_version").fetchall()[0][0]
            if not isinstance(version, int) or version < 1:
                raise VaultError("vault.corrupt", "no schema version")
            if version > latest_version():
                raise VaultError("vault.too_new", str(version))
            if version < latest_version():
                with db.atomic():
                    migrate(db, version)  # type: ignore[arg-type]
        installed = db.execute(
            "SELECT 1 FROM pg_trigger WHERE tgname = ?", (NOTIFY_TRIGGER + "partners",)
        ).fetchall()
        if not installed:
            with db.atomic():
                for statement in NOTIFY_DDL:
                    db._pg.execute(statement.encode())
        return created

    @staticmethod
    def kdf_params_for(url: str, member: str | None = None) -> Any:
        """The scrypt params of `member`'s slot (GUI: derive the key off the UI thread)."""
        name = check_name(member or current_actor())
        db = PgDatabase.connect(url)
        try:
            if not db.table_exists("members"):
                return None
            rows = db.execute(f"SELECT {MEMBER_COLUMNS} FROM members WHERE name = ?", (name,))
            found = rows.fetchall()
            return slot_params(MemberSlot.from_row(found[0])) if found else None
        finally:
            db.close()

    def close(self) -> None:
        for listener in self._listeners:
            listener.stop()
        self._listeners.clear()
        db, self._db = self._db, None
        if db is not None:
            db.close()
            self._data_key = b""

    @property
    def location(self) -> str:
        return redact_url(self._url)

    @property
    def url(self) -> str:
        return self._url

    def __repr__(self) -> str:
        return f"TeamVault({self.location!r}, {'closed' if self.closed else 'open'})"

    # --- the guards ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self, durable: bool = True) -> Iterator[None]:
        outermost = not self._database.conn.in_transaction
        with super()._write(durable):
            if outermost:
                rows = self._read("SELECT value FROM meta WHERE key = 'key_check' FOR SHARE")
                if not rows or rows[0][0] != self._check:
                    raise VaultError("vault.rekeyed")
            yield

    def partner(self, ref: int | str) -> Any:
        found = super().partner(ref)
        if found.id is not None and found.updated:
            self._seen[found.id] = found.updated
        return found

    def start_run(
        self,
        kind: str,
        partner_id: int | None = None,
        state: str = "new",
        data: dict[str, Any] | None = None,
    ) -> RunRecord:
        """As `Vault.start_run`; a rotation or unregistration first claims the partner."""
        if partner_id is None or kind not in LEASED_RUNS:
            return super().start_run(kind, partner_id, state, data)
        with self._write():
            rows = self._read("SELECT updated FROM partners WHERE id = ? FOR UPDATE", (partner_id,))
            if not rows:
                raise VaultError("vault.peer_unknown", str(partner_id))
            seen = self._seen.get(partner_id)
            busy = self._read(
                "SELECT 1 FROM runs WHERE partner_id = ? AND outcome = 'running'"
                " AND kind IN ('rotate', 'unregister')",
                (partner_id,),
            )
            if busy or (seen is not None and seen != rows[0][0]):
                raise VaultError("vault.conflict")
            return super().start_run(kind, partner_id, state, data)

    def reveal(self, cred_id: int) -> Secret:
        try:
            return super().reveal(cred_id)
        except VaultError as exc:
            if exc.code == "vault.tampered" and self._stale_key():
                raise VaultError("vault.rekeyed") from None
            raise

    def _stale_key(self) -> bool:
        rows = self._read("SELECT value FROM meta WHERE key = 'key_check'")
        return not rows or rows[0][0] != self._check

    def watch(self, on_change: Callable[[int | None], None]) -> Callable[[], None]:
        """Call `on_change(partner_id)` (from a listener thread) when a colleague changes a
        partner or its tokens; returns the function that stops listening."""
        listener = ChangeListener(self._url, on_change, self._pg._pg.info.backend_pid)
        listener.start()
        self._listeners.append(listener)
        return listener.stop

    # --- members -------------------------------------------------------------------------

    def key_slots(self) -> list[str]:
        return [f"member:{self.member}"]

    def _slots_locked(self) -> dict[str, MemberSlot]:
        rows = self._read(f"SELECT {MEMBER_COLUMNS} FROM members ORDER BY name FOR UPDATE")
        return {slot.name: slot for slot in map(MemberSlot.from_row, rows)}

    def members(self) -> list[MemberInfo]:
        rows = self._read(f"SELECT {MEMBER_COLUMNS} FROM members ORDER BY name")
        slots = [MemberSlot.from_row(row) for row in rows]
        return [MemberInfo(s.name, s.created, _member_fingerprint(s)) for s in slots]

    def add_member(self, name: str, passphrase: str | DerivedKey) -> MemberInfo:
        """Give `name` a slot holding the team data key, opened by `passphrase`."""
        name = check_name(name)
        with self._write():
            if name in self._slots_locked():
                raise VaultError("vault.member_exists", name)
            slot = new_slot(name, self._vault_id, self._data_key, passphrase, now_iso())
            self._exec(
                f"INSERT INTO members ({MEMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", slot.row()
            )
            info = MemberInfo(name, slot.created, _member_fingerprint(slot))
            self.audit.record("member-add", fingerprint=info.key_fingerprint, actor=None)
        return info

    def remove_member(self, name: str) -> int:
        """Remove `name` and re-key: a new data key, every token re-encrypted, every other
        member's slot re-wrapped, the audit chain re-sealed; one transaction. Returns the
        number of tokens re-encrypted."""
        name = check_name(name)
        old_key, old_cipher, old_check = self._data_key, self._cipher, self._check
        fresh = new_key()
        cipher = TokenCipher(fresh)
        try:
            with self._write():
                self._read("SELECT value FROM meta WHERE key = 'key_check' FOR UPDATE")
                slots = self._slots_locked()
                if name not in slots:
                    raise VaultError("vault.member_unknown", name)
                if len(slots) == 1:
                    raise VaultError("vault.last_member", name)
                count = self._reencrypt(old_cipher, cipher)
                for hook in REKEY_HOOKS:
                    hook(self, old_cipher, cipher)
                self.audit.rechain(old_key, fresh)
                self._exec("DELETE FROM members WHERE name = ?", (name,))
                now = now_iso()
                for other in slots.values():
                    if other.name != name:
                        slot = rewrapped(other, self._vault_id, fresh, now)
                        self._exec(
                            "UPDATE members SET wrapped_data = ?, updated = ? WHERE name = ?",
                            (slot.wrapped_data, now, slot.name),
                        )
                self._exec("UPDATE meta SET value = ? WHERE key = 'key_check'", (key_check(fresh),))
                self._data_key, self._cipher, self._check = fresh, cipher, key_check(fresh)
                self.audit.record("member-remove", fingerprint=_member_fingerprint(slots[name]))
        except BaseException:
            self._data_key, self._cipher, self._check = old_key, old_cipher, old_check
            raise
        return count

    def _reencrypt(self, old: TokenCipher, new: TokenCipher) -> int:
        rows = self._read(
            "SELECT id, partner_id, role, ciphertext FROM credentials ORDER BY id FOR UPDATE"
        )
        for cred_id, partner_id, role, blob in rows:
            aad = token_aad(partner_id, role, cred_id)
            try:
                value = old.decrypt(bytes(blob), aad)
            except InvalidTag:
                raise VaultError("vault.tampered", f"token #{cred_id}") from None
            self._exec(
                "UPDATE credentials SET ciphertext = ?, lookup = ? WHERE id = ?",
                (new.encrypt(value, aad), new.lookup(value), cred_id),
            )
        return len(rows)

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-seal this member's private key under `new` (the data key is unchanged)."""
        with self._write():
            slots = self._slots_locked()
            slot = with_new_passphrase(slots[self.member], self._vault_id, old, new, now_iso())
            self._exec(
                "UPDATE members SET params = ?, wrapped_private = ?, updated = ? WHERE name = ?",
                (slot.params_json, slot.wrapped_private, slot.updated, slot.name),
            )

    def set_passphrase(self, new: str) -> None:
        raise ValueError("in a team vault each member has a passphrase: use change_passphrase")

    def enable_keyring(self) -> None:
        raise ValueError("a team vault opens with each member's passphrase")

    def disable_keyring(self) -> None:
        return None


serve_urls(TeamVault)
