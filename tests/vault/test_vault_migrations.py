"""Schema versions: a frozen v1 file (built here, independently of app code) must open.

`build_v1` writes a vault exactly as version 1 of the app did: its DDL, its key slot and its
token encryption (AES-GCM with the v1 associated data), using only sqlite3 and
cryptography. When a v2 is added to app.vault.schema.MIGRATIONS, the tests below open this
v1 file with the new code, which is the upgrade path every user will take. Never edit
V1_DDL: it is what is on people's disks.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from app.core.tokens import Secret, TokenRole, fingerprint
from app.vault import SCHEMA_VERSION, Direction, PartnerRecord, TokenState, Vault, VaultError
from app.vault import schema as schema_module
from app.vault.schema import MIGRATIONS, Migration, migrate
from app.vault.sqlitedb import SqliteDatabase as Database
from tests.vault.vault_helpers import PASSPHRASE

# A migration the code does not have yet: the next number after the shipped chain.
NEXT = SCHEMA_VERSION + 1

V1_DDL = [
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
]
V1_APPLICATION_ID = 0x4F435056
T0 = "2025-03-01T10:00:00.000000Z"
# (id, role, direction, state, value)
V1_TOKENS = [
    (1, "A", "outbound", "consumed", "v1-token-a"),
    (2, "B", "inbound", "active", "v1-token-b"),
    (3, "C", "outbound", "active", "v1-token-c"),
]


def build_v1(path: Path, passphrase: str = PASSPHRASE) -> None:
    """A vault file as version 1 wrote it: one partner, three tokens, a run, a transcript."""
    data_key = os.urandom(32)
    vault_id = "0123456789abcdef0123456789abcdef"
    salt = os.urandom(16)
    kek = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())
    nonce = os.urandom(12)
    slot_aad = f"ocpi-onboard/keyslot/v1|passphrase|{vault_id}".encode()
    wrapped = nonce + AESGCM(kek).encrypt(nonce, data_key, slot_aad)
    params = {"kdf": "scrypt", "n": 2**15, "p": 1, "r": 8, "salt": base64.b64encode(salt).decode()}
    lookup_key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"ocpi-onboard/lookup/v1"
    ).derive(data_key)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN")
        conn.execute(f"PRAGMA application_id = {V1_APPLICATION_ID}")
        for statement in V1_DDL:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (1, 'initial schema', ?)", (T0,))
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("vault_id", vault_id), ("created", T0), ("app", "ocpi-onboard")],
        )
        conn.execute(
            "INSERT INTO keyslots VALUES ('passphrase', ?, ?, ?, ?)",
            (json.dumps(params, separators=(",", ":"), sort_keys=True), wrapped, T0, T0),
        )
        conn.execute(
            "INSERT INTO partners VALUES (1, 'NL', 'OLD', 'Old Partner', ?, ?, '2.2.1', ?,"
            " 'sender', 'registered', 'base64', NULL, ?, ?, NULL)",
            (
                json.dumps([{"role": "CPO", "party_id": "OLD", "country_code": "NL"}]),
                "https://old.example/versions",
                json.dumps([{"identifier": "credentials", "url": "https://old.example/c"}]),
                T0,
                T0,
            ),
        )
        conn.execute(
            "INSERT INTO runs VALUES ('run-v1', 'register', 1, 'registered', 'succeeded',"
            ' NULL, \'{"versions_url":"https://old.example/versions"}\', ?, ?)',
            (T0, T0),
        )
        for cred_id, role, direction, state, value in V1_TOKENS:
            aad = f"ocpi-onboard/token/v1|1|{role}|{cred_id}".encode()
            nonce = os.urandom(12)
            blob = nonce + AESGCM(data_key).encrypt(nonce, value.encode(), aad)
            lookup = hmac.new(lookup_key, value.encode(), hashlib.sha256).hexdigest()
            conn.execute(
                "INSERT INTO credentials VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 'run-v1')",
                (cred_id, role, direction, state, blob, lookup, fingerprint(value, role), T0),
            )
        conn.execute(
            "INSERT INTO transcript VALUES (1, 'run-v1', ?, ?)",
            (T0, json.dumps({"step": "POST credentials", "status": 200})),
        )
        conn.execute("COMMIT")


def _schema_sql(conn: sqlite3.Connection) -> dict[str, str]:
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")
    return {name: re.sub(r"\s+", " ", sql).strip() for name, sql in rows}


@contextlib.contextmanager
def _db(path: Path) -> Iterator[Database]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        yield Database(conn)


def test_the_chain_is_explicit_and_contiguous() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))
    assert all(m.description for m in MIGRATIONS)


def test_migration_1_is_still_the_frozen_v1(tmp_path: Path) -> None:
    build_v1(tmp_path / "frozen.db")
    with _db(tmp_path / "migrated.db") as db, db.atomic():
        assert migrate(db, 0, target=1) == 1
    with contextlib.closing(sqlite3.connect(tmp_path / "frozen.db")) as frozen:
        expected = _schema_sql(frozen)
    with contextlib.closing(sqlite3.connect(tmp_path / "migrated.db")) as migrated:
        assert _schema_sql(migrated) == expected


def _check_v1_content(vault: Vault) -> None:
    old = vault.partner("NL-OLD")
    assert old.business_name == "Old Partner" and old.token_encoding == "base64"
    tokens = vault.tokens(1)
    assert [t.state for t in tokens] == [TokenState.CONSUMED, TokenState.ACTIVE, TokenState.ACTIVE]
    for (cred_id, role, _, _, value), record in zip(V1_TOKENS, tokens, strict=True):
        assert record.role == TokenRole(role)
        assert vault.reveal(cred_id).reveal() == value
        assert vault.find_token(Secret(value)) == record
    assert vault.run("run-v1").outcome == "succeeded"
    assert vault.transcript("run-v1") == [{"step": "POST credentials", "status": 200}]


def test_a_v1_file_opens_with_this_version(vault_path: Path) -> None:
    vault_path.parent.mkdir()
    build_v1(vault_path)
    with Vault.open(vault_path, PASSPHRASE) as vault:
        assert vault.schema_version == SCHEMA_VERSION
        _check_v1_content(vault)
        new = vault.save_partner(PartnerRecord(None, "DE", "NEW"))
        assert new.id == 2
        assert vault.add_token(2, TokenRole.A, Direction.OUTBOUND, Secret("new")).id == 4
    with contextlib.closing(sqlite3.connect(vault_path)) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def _v2(db: Database) -> None:
    db.execute("ALTER TABLE partners ADD COLUMN notes TEXT NOT NULL DEFAULT ''")
    db.execute("CREATE INDEX partners_notes ON partners (notes)")


def test_a_future_v2_is_applied_to_a_v1_file_once(
    vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def v2(db: Database) -> None:
        calls.append(NEXT)
        _v2(db)

    monkeypatch.setattr(schema_module, "MIGRATIONS", (*MIGRATIONS, Migration(NEXT, "notes", v2)))
    vault_path.parent.mkdir()
    build_v1(vault_path)
    with Vault.open(vault_path, PASSPHRASE) as vault:
        assert vault.schema_version == NEXT
        _check_v1_content(vault)
    with Vault.open(vault_path, PASSPHRASE) as vault:
        assert vault.schema_version == NEXT
    assert calls == [NEXT]
    with contextlib.closing(sqlite3.connect(vault_path)) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(partners)")]
    assert "notes" in columns
    monkeypatch.setattr(schema_module, "MIGRATIONS", MIGRATIONS)
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path, PASSPHRASE)
    assert info.value.code == "vault.too_new"


def test_a_failing_migration_leaves_the_v1_file_as_it_was(
    vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(db: Database) -> None:
        _v2(db)
        db.execute("ALTER TABLE no_such_table ADD COLUMN x TEXT")

    monkeypatch.setattr(schema_module, "MIGRATIONS", (*MIGRATIONS, Migration(NEXT, "bad", broken)))
    vault_path.parent.mkdir()
    build_v1(vault_path)
    with pytest.raises(VaultError):
        Vault.open(vault_path, PASSPHRASE)
    with contextlib.closing(sqlite3.connect(vault_path)) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 1
        columns = [r[1] for r in conn.execute("PRAGMA table_info(partners)")]
    assert "notes" not in columns
    monkeypatch.setattr(schema_module, "MIGRATIONS", MIGRATIONS)
    with Vault.open(vault_path, PASSPHRASE) as vault:
        _check_v1_content(vault)


def test_a_v1_file_with_a_wrong_passphrase_is_not_migrated(
    vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema_module, "MIGRATIONS", (*MIGRATIONS, Migration(NEXT, "notes", _v2)))
    vault_path.parent.mkdir()
    build_v1(vault_path)
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path, "wrong")
    assert info.value.code == "vault.wrong_passphrase"
    with contextlib.closing(sqlite3.connect(vault_path)) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 1
