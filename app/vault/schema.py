"""The vault's tables, the explicit migration chain and the read-only check of a file.

A vault records each applied migration in ``schema_version``; its current version is the
highest row. `MIGRATIONS` is an explicit chain 1..SCHEMA_VERSION: a new vault runs all of
it, an older vault the missing tail, inside one transaction (a crash leaves the old
version intact). A file with a higher version is refused (vault.too_new) and left as is.

`inspect` decides what a file is using a read-only connection (it cannot modify the file
whatever it finds): new/empty, ours at some version, or corrupt / not ours / too new.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.vault.errors import VaultError
from app.vault.files import private_umask
from app.vault.kdf import KdfParams
from app.vault.keys import PASSPHRASE, KeySlot, slot_params
from app.vault.sqlitedb import SqliteDatabase as Database

# "OCPV" in the SQLite header (PRAGMA application_id): marks a file as an OCPI Onboard vault.
APPLICATION_ID = 0x4F435056
SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_HEADER_LEN = 100


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Database], None]


def _v1(db: Database) -> None:
    for statement in V1_STATEMENTS:
        db.execute(statement)


# Version 1 as shipped. Never edit a shipped migration: add the next one to MIGRATIONS.
V1_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE schema_version (
        version INTEGER PRIMARY KEY,
        description TEXT NOT NULL,
        applied TEXT NOT NULL)""",
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL)""",
    """CREATE TABLE keyslots (
        kind TEXT PRIMARY KEY CHECK (kind IN ('passphrase', 'keyring')),
        params TEXT NOT NULL,
        wrapped BLOB NOT NULL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL)""",
    """CREATE TABLE partners (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        country_code TEXT NOT NULL,
        party_id TEXT NOT NULL,
        business_name TEXT NOT NULL DEFAULT '',
        roles TEXT NOT NULL DEFAULT '[]',
        versions_url TEXT NOT NULL DEFAULT '',
        ocpi_version TEXT,
        endpoints TEXT NOT NULL DEFAULT '[]',
        our_role TEXT NOT NULL CHECK (our_role IN ('sender', 'receiver')),
        status TEXT NOT NULL CHECK (status IN
            ('pending', 'registered', 'unregistered', 'failed', 'replaced')),
        token_encoding TEXT NOT NULL DEFAULT 'auto'
            CHECK (token_encoding IN ('auto', 'base64', 'raw')),
        hub_party_id TEXT,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        last_checked TEXT)""",
    "CREATE INDEX partners_identity ON partners (country_code, party_id)",
    # One live row per known identity; unknown ('') and replaced rows may repeat.
    """CREATE UNIQUE INDEX partners_live_identity ON partners (country_code, party_id)
        WHERE country_code != '' AND party_id != '' AND status != 'replaced'""",
    "CREATE INDEX partners_status ON partners (status, country_code, party_id)",
    """CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL
            CHECK (kind IN ('register', 'invite', 'rotate', 'unregister', 'check')),
        partner_id INTEGER REFERENCES partners (id) ON DELETE SET NULL,
        state TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN
            ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
        diagnosis TEXT,
        data TEXT NOT NULL DEFAULT '{}',
        created TEXT NOT NULL,
        updated TEXT NOT NULL)""",
    "CREATE INDEX runs_partner ON runs (partner_id, created)",
    "CREATE INDEX runs_outcome ON runs (outcome, created)",
    """CREATE TABLE credentials (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        partner_id INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('A', 'B', 'C')),
        direction TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
        state TEXT NOT NULL CHECK (state IN
            ('pending', 'active', 'consumed', 'superseded', 'revoked')),
        ciphertext BLOB NOT NULL,
        lookup TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        created TEXT NOT NULL,
        last_used TEXT,
        revoked TEXT,
        run_id TEXT REFERENCES runs (id) ON DELETE SET NULL)""",
    "CREATE INDEX credentials_partner ON credentials (partner_id, role, direction, state)",
    "CREATE INDEX credentials_lookup ON credentials (lookup)",
    "CREATE INDEX credentials_fingerprint ON credentials (fingerprint)",
    "CREATE INDEX credentials_run ON credentials (run_id)",
    """CREATE TABLE transcript (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        created TEXT NOT NULL,
        entry TEXT NOT NULL)""",
    "CREATE INDEX transcript_run ON transcript (run_id, id)",
)


def _v2(db: Database) -> None:
    from app.vault.audit import MIGRATION_STATEMENTS

    for statement in MIGRATION_STATEMENTS:
        db.execute(statement)


def _v3(db: Database) -> None:
    from app.vault.members import MIGRATION_STATEMENTS

    for statement in MIGRATION_STATEMENTS:
        db.execute(statement)


def _v4_partner_profiles(db: Database) -> None:
    """One profile per partner (issue 11): the contract's keys as JSON, the client key of
    mutual TLS encrypted like a token, and what runs proposed but nobody applied yet."""
    db.execute(
        """CREATE TABLE partner_profiles (
            partner_id INTEGER PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
            profile TEXT NOT NULL,
            client_key BLOB,
            proposals TEXT NOT NULL DEFAULT '[]',
            updated TEXT NOT NULL)"""
    )


def _v5(db: Database) -> None:
    from app.vault.snapshots import MIGRATION_STATEMENTS as SNAPSHOTS

    for statement in SNAPSHOTS:
        db.execute(statement)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _v1),
    Migration(2, "audit trail", _v2),
    Migration(3, "team members", _v3),
    Migration(4, "partner profiles", _v4_partner_profiles),
    Migration(5, "partner snapshots", _v5),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def latest_version() -> int:
    """The version this code writes: the end of the migration chain (read at call time)."""
    return MIGRATIONS[-1].version


def migrate(db: Database, current: int, target: int | None = None) -> int:
    """Apply the migrations after `current` up to `target` (default: the latest).

    Call inside ``db.atomic()``: the caller's transaction makes the chain all-or-nothing.
    Returns the version reached.
    """
    from app.vault.records import now_iso

    target = latest_version() if target is None else target
    for migration in MIGRATIONS:
        if current < migration.version <= target:
            migration.apply(db)
            db.execute(
                "INSERT INTO schema_version (version, description, applied) VALUES (?, ?, ?)",
                (migration.version, migration.description, now_iso()),
            )
            current = migration.version
    return current


@dataclass(frozen=True)
class FileState:
    """What `inspect` found: a new (absent/empty) file, or our vault at `version`."""

    new: bool
    version: int = 0
    vault_id: str = ""
    slots: dict[str, KeySlot] = field(default_factory=dict)


def passphrase_params(path: Path) -> KdfParams | None:
    """The scrypt params of the passphrase slot of the vault file `path`, read-only.

    None for a new file or a vault without a passphrase; VaultError as `inspect`. Read
    under the private umask: a reader of a WAL database may create its -shm file.
    """
    with private_umask():
        state = inspect(path)
    if state.new or PASSPHRASE not in state.slots:
        return None
    return slot_params(state.slots[PASSPHRASE])


def connect_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)


def inspect(path: Path) -> FileState:
    """Classify `path` without writing to it; VaultError vault.corrupt / vault.too_new."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return FileState(new=True)
    if not path.is_file():
        raise VaultError("vault.corrupt", "not a file")
    if size == 0:
        return FileState(new=True)
    with path.open("rb") as handle:
        header = handle.read(SQLITE_HEADER_LEN)
    if len(header) < SQLITE_HEADER_LEN or not header.startswith(SQLITE_MAGIC):
        raise VaultError("vault.corrupt", "not a SQLite database")
    try:
        conn = connect_readonly(path)
    except sqlite3.Error as exc:
        raise VaultError("vault.corrupt", "cannot be opened") from exc
    try:
        return _inspect(conn)
    except sqlite3.Error as exc:
        raise VaultError("vault.corrupt", "damaged database") from exc
    finally:
        conn.close()


def _inspect(conn: sqlite3.Connection) -> FileState:
    problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise VaultError("vault.corrupt", "damaged database")
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if not tables and app_id == 0:
        return FileState(new=True)
    if app_id != APPLICATION_ID or not {"schema_version", "meta", "keyslots"} <= tables:
        raise VaultError("vault.corrupt", "not an OCPI Onboard vault")
    version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    if not isinstance(version, int) or version < 1:
        raise VaultError("vault.corrupt", "no schema version")
    if version > latest_version():
        raise VaultError("vault.too_new", str(version))
    row = conn.execute("SELECT value FROM meta WHERE key = 'vault_id'").fetchone()
    if row is None or not row[0]:
        raise VaultError("vault.corrupt", "no vault id")
    slots: dict[str, KeySlot] = {}
    for kind, params, wrapped in conn.execute("SELECT kind, params, wrapped FROM keyslots"):
        try:
            slots[kind] = KeySlot.from_row(kind, params, wrapped)
        except (ValueError, TypeError) as exc:
            raise VaultError("vault.corrupt", "bad key slot") from exc
    if not slots:
        raise VaultError("vault.corrupt", "no key slot")
    return FileState(new=False, version=version, vault_id=row[0], slots=slots)
