"""Integrity and confidentiality at rest: tampering is caught, token values never on disk."""

from __future__ import annotations

import base64
import contextlib
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.tokens import Secret, TokenRole
from app.vault import Direction, TokenState, Vault, VaultError
from tests.vault.vault_helpers import PASSPHRASE, partner

A, B, C = TokenRole.A, TokenRole.B, TokenRole.C
OUT, IN = Direction.OUTBOUND, Direction.INBOUND


@contextlib.contextmanager
def _raw(path: Path) -> Iterator[sqlite3.Connection]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        yield conn
        conn.commit()


def _setup(path: Path) -> dict[str, int]:
    """Two partners, three tokens: ids by name."""
    with Vault.open(path, PASSPHRASE) as vault:
        one = vault.save_partner(partner()).id
        two = vault.save_partner(partner("DE", "TWO")).id
        assert one is not None and two is not None
        return {
            "one_b": vault.add_token(one, B, IN, Secret("one-token-b")).id,
            "one_c": vault.add_token(one, C, OUT, Secret("one-token-c"), TokenState.ACTIVE).id,
            "two_c": vault.add_token(two, C, OUT, Secret("two-token-c"), TokenState.ACTIVE).id,
        }


def _reveal_code(path: Path, cred_id: int) -> str:
    with Vault.open(path, PASSPHRASE) as vault:
        try:
            vault.reveal(cred_id)
        except VaultError as exc:
            assert "token-" not in str(exc) and "token-" not in repr(exc.diagnosis)
            return exc.code
        return "ok"


def _set_blob(path: Path, cred_id: int, blob: bytes) -> None:
    with _raw(path) as conn:
        conn.execute("UPDATE credentials SET ciphertext = ? WHERE id = ?", (blob, cred_id))


def _blob(path: Path, cred_id: int) -> bytes:
    with _raw(path) as conn:
        row = conn.execute("SELECT ciphertext FROM credentials WHERE id = ?", (cred_id,))
        return bytes(row.fetchone()[0])


def test_swapping_ciphertexts_between_rows_fails_both(vault_path: Path) -> None:
    ids = _setup(vault_path)
    first, second = _blob(vault_path, ids["one_b"]), _blob(vault_path, ids["one_c"])
    _set_blob(vault_path, ids["one_b"], second)
    _set_blob(vault_path, ids["one_c"], first)
    assert _reveal_code(vault_path, ids["one_b"]) == "vault.tampered"
    assert _reveal_code(vault_path, ids["one_c"]) == "vault.tampered"
    assert _reveal_code(vault_path, ids["two_c"]) == "ok"


def test_revealing_many_refuses_an_altered_row_too(vault_path: Path) -> None:
    """The engine's restore (`reveal_many`) checks every row as `reveal` does."""
    ids = _setup(vault_path)
    _set_blob(vault_path, ids["two_c"], _blob(vault_path, ids["one_c"]))
    with Vault.open(vault_path, PASSPHRASE) as vault:
        assert vault.reveal_many([ids["one_b"], ids["one_c"]])[ids["one_c"]].reveal()
        with pytest.raises(VaultError) as info:
            vault.reveal_many(list(ids.values()))
    assert info.value.code == "vault.tampered"
    assert "token-" not in str(info.value)


def test_copying_a_ciphertext_to_another_partners_row_fails(vault_path: Path) -> None:
    ids = _setup(vault_path)
    _set_blob(vault_path, ids["two_c"], _blob(vault_path, ids["one_c"]))
    assert _reveal_code(vault_path, ids["two_c"]) == "vault.tampered"
    assert _reveal_code(vault_path, ids["one_c"]) == "ok"


@pytest.mark.parametrize("position", [0, 11, 12, 20, -1])
def test_a_flipped_byte_fails(vault_path: Path, position: int) -> None:
    ids = _setup(vault_path)
    blob = bytearray(_blob(vault_path, ids["one_c"]))
    blob[position] ^= 0x01
    _set_blob(vault_path, ids["one_c"], bytes(blob))
    assert _reveal_code(vault_path, ids["one_c"]) == "vault.tampered"


def test_truncated_or_empty_ciphertext_fails(vault_path: Path) -> None:
    ids = _setup(vault_path)
    _set_blob(vault_path, ids["one_c"], _blob(vault_path, ids["one_c"])[:20])
    _set_blob(vault_path, ids["one_b"], b"")
    assert _reveal_code(vault_path, ids["one_c"]) == "vault.tampered"
    assert _reveal_code(vault_path, ids["one_b"]) == "vault.tampered"


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE credentials SET role = 'B' WHERE id = :id",
        "UPDATE credentials SET partner_id = (SELECT MAX(id) FROM partners) WHERE id = :id",
        "UPDATE credentials SET fingerprint = 'C·000000' WHERE id = :id",
        "UPDATE credentials SET lookup = '00' WHERE id = :id",
    ],
)
def test_relabelling_a_row_fails(vault_path: Path, change: str) -> None:
    ids = _setup(vault_path)
    with _raw(vault_path) as conn:
        conn.execute(change, {"id": ids["one_c"]})
    assert _reveal_code(vault_path, ids["one_c"]) == "vault.tampered"


def test_a_tampered_wrapped_key_does_not_open(vault_path: Path) -> None:
    _setup(vault_path)
    with _raw(vault_path) as conn:
        wrapped = bytearray(conn.execute("SELECT wrapped FROM keyslots").fetchone()[0])
        wrapped[-1] ^= 0x80
        conn.execute("UPDATE keyslots SET wrapped = ?", (bytes(wrapped),))
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path, PASSPHRASE)
    assert info.value.code == "vault.wrong_passphrase"


def test_export_refuses_a_vault_with_a_tampered_token(vault_path: Path, tmp_path: Path) -> None:
    ids = _setup(vault_path)
    _set_blob(vault_path, ids["two_c"], _blob(vault_path, ids["one_c"]))
    with Vault.open(vault_path, PASSPHRASE) as vault, pytest.raises(VaultError) as info:
        vault.export_to(tmp_path / "backup.ocpi", "export pass")
    assert info.value.code == "vault.tampered"
    assert not (tmp_path / "backup.ocpi").exists()


# --- the canary scan ---------------------------------------------------------------------------


def _forms(value: str) -> list[bytes]:
    raw = value.encode()
    std = base64.b64encode(raw)
    url = base64.urlsafe_b64encode(raw)
    return [raw, std, url, std.rstrip(b"="), url.rstrip(b"="), raw.hex().encode()]


def _scan(files: list[Path], values: list[str]) -> list[str]:
    found = []
    for file in files:
        if not file.exists():
            continue
        data = file.read_bytes()
        for value in values:
            for form in _forms(value):
                if form in data:
                    found.append(f"{file.name}: {form[:8]!r}...")
    return found


def test_canary_values_never_reach_the_disk(vault_path: Path, tmp_path: Path) -> None:
    canaries = [f"CANARY-{role}-{secrets.token_urlsafe(24)}" for role in "ABCCB"]
    canaries.append(secrets.token_urlsafe(32))
    files = [
        vault_path,
        vault_path.with_name("vault.db-wal"),
        vault_path.with_name("vault.db-shm"),
        vault_path.with_name("vault.db.lock"),
    ]
    export = tmp_path / "backup.ocpi"
    with Vault.open(vault_path, PASSPHRASE) as vault:
        pid = vault.save_partner(partner()).id
        assert pid is not None
        run = vault.start_run("register", pid)
        roles = [A, B, C, C, B, C]
        creds = [
            vault.add_token(pid, role, OUT if role is not B else IN, Secret(value), run_id=run.id)
            for role, value in zip(roles, canaries, strict=True)
        ]
        vault.set_token_state(creds[2].id, TokenState.ACTIVE)
        vault.set_token_state(creds[3].id, TokenState.ACTIVE)
        vault.mark_used(creds[3].id)
        vault.append_transcript(run.id, {"token": Secret(canaries[1], B)})
        vault.update_run(run.id, data={"token_c": str(Secret(canaries[2], C))})
        vault.export_to(export, "export pass")
        # While open: the -wal holds the recent pages.
        assert vault_path.with_name("vault.db-wal").stat().st_size > 0
        assert _scan(files, canaries) == []
        assert [vault.reveal(c.id).reveal() for c in creds] == canaries
        vault.change_passphrase(PASSPHRASE, "another passphrase")
    assert _scan([*files, export], canaries) == []
    with Vault.open(vault_path, "another passphrase") as vault:
        vault.delete_partner(pid)
    assert _scan(files, canaries) == []


def test_no_value_in_reprs_or_errors(vault: Vault) -> None:
    pid = vault.save_partner(partner()).id
    assert pid is not None
    value = "repr-canary-" + secrets.token_hex(8)
    cred = vault.add_token(pid, C, OUT, Secret(value), TokenState.ACTIVE)
    texts = [
        repr(vault),
        repr(cred),
        repr(vault.tokens(pid)),
        repr(vault.find_token(Secret(value))),
        repr(vault.reveal(cred.id)),
        str(vault.reveal(cred.id)),
        repr(vault._cipher),
    ]
    assert all(value not in text for text in texts)


def test_the_scan_would_see_a_leak(vault_path: Path) -> None:
    """Guard for the canary test: a value written in clear (here on purpose) is found."""
    leaked = "LEAK-" + secrets.token_urlsafe(16)
    with Vault.open(vault_path, PASSPHRASE) as vault:
        run = vault.start_run("check")
        vault.append_transcript(run.id, {"oops": base64.b64encode(leaked.encode()).decode()})
    assert _scan([vault_path, vault_path.with_name("vault.db-wal")], [leaked]) != []
