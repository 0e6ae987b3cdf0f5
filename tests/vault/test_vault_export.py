"""Encrypted export and import: a whole vault to another machine, and refusals."""

from __future__ import annotations

import json
import os
import stat
import struct
from pathlib import Path

import pytest

from app.core.tokens import Secret, TokenRole
from app.vault import Direction, TokenState, Vault, VaultError
from app.vault.export import FORMAT_VERSION, MAGIC, open_export, seal_export
from tests.vault.vault_helpers import PASSPHRASE, MemoryKeyring, file_digests, partner

EXPORT_PASS = "export passphrase for the backup"
A, B, C = TokenRole.A, TokenRole.B, TokenRole.C
OUT, IN = Direction.OUTBOUND, Direction.INBOUND


def _fill(vault: Vault) -> dict[str, object]:
    gone = vault.save_partner(partner("BE", "DEL"))
    one = vault.save_partner(
        partner(
            business_name="Acme",
            roles=[{"role": "CPO"}],
            endpoints=[{"identifier": "locations", "url": "https://x/l"}],
            status="registered",
        )
    )
    assert one.id is not None and gone.id is not None
    vault.delete_partner(gone.id)  # ids have a gap: they must survive as they are
    two = vault.save_partner(partner("", "", versions_url="https://pending/versions"))
    assert two.id is not None
    run = vault.start_run("register", one.id, data={"k": "v"})
    vault.update_run(run.id, outcome="succeeded", diagnosis={"code": "x"})
    vault.add_token(one.id, A, OUT, Secret("exp-a"))
    vault.add_token(one.id, B, IN, Secret("exp-b"), TokenState.ACTIVE, run.id)
    c = vault.add_token(one.id, C, OUT, Secret("exp-c"), TokenState.ACTIVE, run.id)
    vault.mark_used(c.id)
    vault.add_token(two.id, A, IN, Secret("exp-a2"), TokenState.REVOKED)
    vault.append_transcript(run.id, {"step": 1})
    vault.append_transcript(run.id, {"step": 2, "nested": {"list": [1, 2]}})
    return {"run": run.id}


def _snapshot(vault: Vault) -> dict[str, object]:
    partners = vault.partners()
    tokens = [t for p in partners if p.id is not None for t in vault.tokens(p.id)]
    return {
        "partners": partners,
        "tokens": tokens,
        "values": [vault.reveal(t.id).reveal() for t in tokens],
        "runs": vault.runs(),
        "transcripts": {r.id: vault.transcript(r.id) for r in vault.runs()},
    }


def test_export_import_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "a" / "vault.db"
    backup = tmp_path / "backup.ocpi"
    with Vault.open(source, PASSPHRASE) as vault:
        _fill(vault)
        vault.export_to(backup, EXPORT_PASS)
        before = _snapshot(vault)
        source_id = vault.vault_id
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert backup.read_bytes().startswith(MAGIC)
    target = tmp_path / "b" / "vault.db"
    with Vault.import_from(backup, EXPORT_PASS, target, vault_passphrase="new machine") as vault:
        assert _snapshot(vault) == before
        assert vault.vault_id != source_id
        assert vault.find_token(Secret("exp-c")) is not None
    with Vault.open(target, "new machine") as vault:
        assert _snapshot(vault) == before
        # New rows continue after the imported ids.
        new = vault.save_partner(partner("FR", "NEW"))
        imported_ids = [p.id or 0 for p in vault.partners() if p.ref != "FR-NEW"]
        assert new.id is not None and new.id > max(imported_ids)
    # The two vaults have different data keys: the same ciphertext would not open.
    with Vault.open(source, PASSPHRASE) as vault:
        assert _snapshot(vault) == before


def test_import_into_a_keyring_vault(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    backup = tmp_path / "backup.ocpi"
    with Vault.open(tmp_path / "a.db", PASSPHRASE) as vault:
        _fill(vault)
        vault.export_to(backup, EXPORT_PASS)
    with Vault.import_from(backup, EXPORT_PASS, tmp_path / "b.db") as vault:
        assert vault.key_slots() == ["keyring"]
        assert vault.count_partners() == 2


def test_import_needs_a_key_for_the_new_vault(tmp_path: Path) -> None:
    backup = tmp_path / "backup.ocpi"
    with Vault.open(tmp_path / "a.db", PASSPHRASE) as vault:
        vault.export_to(backup, EXPORT_PASS)
    with pytest.raises(VaultError) as info:
        Vault.import_from(backup, EXPORT_PASS, tmp_path / "b.db")
    assert info.value.code == "vault.locked"
    assert not (tmp_path / "b.db").exists()


def test_import_never_overwrites_a_vault(tmp_path: Path) -> None:
    backup = tmp_path / "backup.ocpi"
    existing = tmp_path / "existing.db"
    with Vault.open(existing, PASSPHRASE) as vault:
        vault.save_partner(partner("DE", "OWN"))
        vault.export_to(backup, EXPORT_PASS)
    before = file_digests(existing)
    with pytest.raises(VaultError) as info:
        Vault.import_from(backup, EXPORT_PASS, existing, vault_passphrase=PASSPHRASE)
    assert info.value.code == "vault.target_exists"
    assert file_digests(existing) == before


def _export(tmp_path: Path) -> Path:
    backup = tmp_path / "backup.ocpi"
    with Vault.open(tmp_path / "a.db", PASSPHRASE) as vault:
        _fill(vault)
        vault.export_to(backup, EXPORT_PASS)
    return backup


def _import_code(backup: Path, target: Path, passphrase: str = EXPORT_PASS) -> str:
    with pytest.raises(VaultError) as info:
        Vault.import_from(backup, passphrase, target, vault_passphrase=PASSPHRASE)
    assert not target.exists()
    return info.value.code


def test_wrong_export_passphrase(tmp_path: Path) -> None:
    backup = _export(tmp_path)
    assert _import_code(backup, tmp_path / "b.db", "not the one") == "vault.wrong_passphrase"


@pytest.mark.parametrize("where", ["header", "body", "tag", "truncate"])
def test_a_tampered_export_is_not_ours(tmp_path: Path, where: str) -> None:
    backup = _export(tmp_path)
    data = bytearray(backup.read_bytes())
    header_len = struct.unpack_from(">H", data, len(MAGIC) + 1)[0]
    if where == "header":
        # The JSON header outside the salt: still parses, but is bound to the ciphertext.
        start = len(MAGIC) + 3
        header = json.loads(data[start : start + header_len])
        header["extra"] = 1
        blob = json.dumps(header, separators=(",", ":")).encode()
        data[start : start + header_len] = blob
        data[len(MAGIC) + 1 : len(MAGIC) + 3] = struct.pack(">H", len(blob))
    elif where == "body":
        data[len(data) // 2 + 200] ^= 0x01
    elif where == "tag":
        data[-1] ^= 0x01
    else:
        del data[-40:]
    backup.write_bytes(bytes(data))
    assert _import_code(backup, tmp_path / "b.db") == "vault.not_ours"


def test_files_that_are_not_exports(tmp_path: Path) -> None:
    vault_file = tmp_path / "a.db"
    Vault.open(vault_file, PASSPHRASE).close()
    assert _import_code(vault_file, tmp_path / "b.db") == "vault.not_ours"
    junk = tmp_path / "junk"
    junk.write_bytes(os.urandom(500))
    assert _import_code(junk, tmp_path / "b.db") == "vault.not_ours"
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert _import_code(empty, tmp_path / "b.db") == "vault.not_ours"
    with pytest.raises(VaultError) as info:
        Vault.import_from(tmp_path / "missing", EXPORT_PASS, tmp_path / "b.db")
    assert info.value.code == "vault.io_error"


def test_a_newer_export_format_is_too_new(tmp_path: Path) -> None:
    backup = _export(tmp_path)
    data = bytearray(backup.read_bytes())
    data[len(MAGIC)] = FORMAT_VERSION + 1
    backup.write_bytes(bytes(data))
    assert _import_code(backup, tmp_path / "b.db") == "vault.too_new"


def test_sealed_content_that_is_not_a_vault_dump(tmp_path: Path) -> None:
    backup = tmp_path / "other.ocpi"
    backup.write_bytes(seal_export({"kind": "something else"}, EXPORT_PASS))
    assert _import_code(backup, tmp_path / "b.db") == "vault.not_ours"
    backup.write_bytes(seal_export({"kind": "ocpi-onboard/vault-export", "partners": 3}, "p"))
    assert _import_code(backup, tmp_path / "b.db", "p") == "vault.not_ours"


def test_a_dangerous_scrypt_cost_in_the_header_is_refused() -> None:
    data = bytearray(seal_export({"x": 1}, EXPORT_PASS))
    start = len(MAGIC) + 3
    header_len = struct.unpack_from(">H", data, len(MAGIC) + 1)[0]
    header = json.loads(data[start : start + header_len])
    header["kdf"]["n"] = 2**30
    blob = json.dumps(header, separators=(",", ":")).encode()
    data[start : start + header_len] = blob
    data[len(MAGIC) + 1 : len(MAGIC) + 3] = struct.pack(">H", len(blob))
    with pytest.raises(VaultError) as info:
        open_export(bytes(data), EXPORT_PASS)
    assert info.value.code == "vault.not_ours"


def test_export_overwrites_an_older_backup_atomically(tmp_path: Path) -> None:
    backup = tmp_path / "backup.ocpi"
    backup.write_bytes(b"old backup")
    with Vault.open(tmp_path / "a.db", PASSPHRASE) as vault:
        vault.export_to(backup, EXPORT_PASS)
        with pytest.raises(ValueError):
            vault.export_to(tmp_path / "a.db", EXPORT_PASS)
    assert open_export(backup.read_bytes(), EXPORT_PASS)["partners"] == []
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
