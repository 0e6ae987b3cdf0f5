"""The key slots' check value: the vault opens without the cipher library (issue 13, memory).

Opening verifies the wrap key against the slot's check (HMAC-SHA256, standard library), so
a wrong passphrase or keyring key is refused at once, as before; the data key is unwrapped
(AES-GCM, `cryptography`) with the first token that needs it. Subkeys come from the standard
library's HKDF, byte-identical to `cryptography`'s. A vault written before the check existed
opens as before and gets the check added, once.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.tokens import Secret, TokenRole
from app.vault import Direction, Vault, VaultError
from app.vault.keys import CHECK
from app.vault.subkeys import hkdf_sha256, subkey
from tests.support.probe import run_probe, without_passphrase
from tests.support.vaults import registered
from tests.vault.vault_helpers import MemoryKeyring

PASSPHRASE = "slot check passphrase"
TOKEN = "the-inbound-token-c"


def _cryptography_hkdf(key: bytes, info: bytes, length: int, salt: bytes | None) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key)


@pytest.mark.parametrize("length", [1, 16, 32, 33, 64, 100, 255 * 32])
@pytest.mark.parametrize("salt", [None, b"", b"salt", os.urandom(32), os.urandom(100)])
def test_standard_library_hkdf_is_cryptographys_hkdf(length: int, salt: bytes | None) -> None:
    for key, info in (
        (os.urandom(32), b"ocpi-onboard/lookup/v1"),
        (os.urandom(16), b""),
        (b"\x00" * 32, "ocpi-onboard/audit/v1|\u00e9".encode()),
        (os.urandom(80), os.urandom(300)),
    ):
        assert hkdf_sha256(key, info, length, salt) == _cryptography_hkdf(key, info, length, salt)


def test_subkeys_are_the_ones_every_existing_vault_was_written_with() -> None:
    """The lookup, audit, key-check and export subkeys: HKDF-SHA256, no salt, 32 bytes."""
    key = os.urandom(32)
    for purpose in ("ocpi-onboard/lookup/v1", "ocpi-onboard/audit/v1", "x"):
        assert subkey(key, purpose) == _cryptography_hkdf(key, purpose.encode(), 32, None)
    # RFC 5869, test case 3 (SHA-256, no salt, no info)
    ikm = bytes.fromhex("0b" * 22)
    okm = hkdf_sha256(ikm, b"", 42)
    assert okm.hex() == (
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    )
    with pytest.raises(ValueError):
        hkdf_sha256(key, b"", 255 * 32 + 1)


def _fill(path: Path, **open_args: object) -> int:
    """A vault with a registered partner and its active inbound TOKEN_C; the token's id."""
    with Vault.open(path, **open_args) as vault:  # type: ignore[arg-type]
        stored = registered(vault, "ABC", (Secret(TOKEN, TokenRole.C), Direction.INBOUND))
    return stored[TOKEN].id


def _slot_params(path: Path, kind: str = "passphrase") -> dict[str, object]:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT params FROM keyslots WHERE kind = ?", (kind,)).fetchone()
    params: dict[str, object] = json.loads(row[0])
    return params


def _set_slot_params(path: Path, params: dict[str, object], kind: str = "passphrase") -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE keyslots SET params = ? WHERE kind = ?", (json.dumps(params), kind))
    conn.close()


PROBE = """
import json, sys
from pathlib import Path
from app.vault import Vault, VaultError

path, passphrase, cred = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
out = {}
try:
    vault = Vault.open(path, passphrase, use_keyring=False)
except VaultError as exc:
    out["refused"] = [exc.code, str(exc)]
    out["cipher_loaded"] = "cryptography" in sys.modules
    print("RESULT=" + json.dumps(out))
    raise SystemExit(0)
out["partners"] = [p.ref for p in vault.partners()]
out["tokens"] = [c.fingerprint for c in vault.tokens(None)]
out["cipher_at_open"] = "cryptography" in sys.modules
out["value_ok"] = vault.reveal(cred).reveal() == "the-inbound-token-c"
out["cipher_after_reveal"] = "cryptography" in sys.modules
out["audit"] = vault.audit.verify().intact  # (its HMAC key is a subkey of the data key)
vault.close()
print("RESULT=" + json.dumps(out))
"""


def _probe(path: Path, passphrase: str, cred: int) -> dict[str, object]:
    """Open the vault in a fresh interpreter: what loaded, what it could read."""
    return run_probe(PROBE, str(path), passphrase, str(cred), env=without_passphrase())


def test_a_vault_opens_and_lists_without_the_cipher_library(vault_path: Path) -> None:
    cred = _fill(vault_path, passphrase=PASSPHRASE, use_keyring=False)
    assert isinstance(_slot_params(vault_path).get(CHECK), str)
    result = _probe(vault_path, PASSPHRASE, cred)
    assert result["partners"] == ["NL-ABC"]
    assert len(result["tokens"]) == 1  # type: ignore[arg-type]
    assert result["audit"] is True
    assert result["cipher_at_open"] is False
    # the first token that needs the data key unwraps it, and gets its value
    assert result["value_ok"] is True
    assert result["cipher_after_reveal"] is True


def test_a_wrong_passphrase_is_refused_at_open_with_the_same_message(vault_path: Path) -> None:
    cred = _fill(vault_path, passphrase=PASSPHRASE, use_keyring=False)
    with pytest.raises(VaultError) as before:
        Vault.open(vault_path, "not the passphrase", use_keyring=False)
    result = _probe(vault_path, "not the passphrase", cred)
    assert result["refused"] == ["vault.wrong_passphrase", str(before.value)]
    assert result["cipher_loaded"] is False
    assert "Wrong passphrase" in str(before.value)


def test_a_vault_from_before_the_check_opens_and_gets_it_once(vault_path: Path) -> None:
    cred = _fill(vault_path, passphrase=PASSPHRASE, use_keyring=False)
    params = _slot_params(vault_path)
    check = params.pop(CHECK)
    _set_slot_params(vault_path, params)  # as every vault was written before session 23
    with pytest.raises(VaultError) as info:  # still refused as before
        Vault.open(vault_path, "wrong", use_keyring=False)
    assert info.value.code == "vault.wrong_passphrase"
    assert CHECK not in _slot_params(vault_path)
    with Vault.open(vault_path, PASSPHRASE, use_keyring=False) as vault:
        assert vault.reveal(cred).reveal() == TOKEN
    assert _slot_params(vault_path) == {**params, CHECK: check}  # the same check, added
    result = _probe(vault_path, PASSPHRASE, cred)  # and from then on used
    assert result["cipher_at_open"] is False and result["value_ok"] is True


@pytest.mark.parametrize("change", ["check", "wrapped"])
def test_an_altered_check_or_wrapped_key_is_refused_at_open(vault_path: Path, change: str) -> None:
    cred = _fill(vault_path, passphrase=PASSPHRASE, use_keyring=False)
    conn = sqlite3.connect(vault_path)
    with conn:
        if change == "check":
            params = _slot_params(vault_path)
            params[CHECK] = "0" * 64
            conn.execute("UPDATE keyslots SET params = ?", (json.dumps(params),))
        else:
            (wrapped,) = conn.execute("SELECT wrapped FROM keyslots").fetchone()
            flipped = bytes(wrapped[:-1]) + bytes((wrapped[-1] ^ 1,))
            conn.execute("UPDATE keyslots SET wrapped = ?", (flipped,))
    conn.close()
    result = _probe(vault_path, PASSPHRASE, cred)
    assert result["refused"][0] == "vault.wrong_passphrase"  # type: ignore[index]


def test_the_keyring_slot_is_checked_too(vault_path: Path, memory_keyring: MemoryKeyring) -> None:
    cred = _fill(vault_path)
    assert isinstance(_slot_params(vault_path, "keyring").get(CHECK), str)
    with Vault.open(vault_path) as vault:
        assert vault.reveal(cred).reveal() == TOKEN
    (entry,) = memory_keyring.store
    memory_keyring.store[entry] = "A" * 43 + "="
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path)
    assert info.value.code == "vault.locked"
    assert info.value.diagnosis.detail == "the OS keyring's key does not open this vault"


def test_a_changed_passphrase_carries_a_new_check(vault_path: Path) -> None:
    cred = _fill(vault_path, passphrase=PASSPHRASE, use_keyring=False)
    before = _slot_params(vault_path)[CHECK]
    with Vault.open(vault_path, PASSPHRASE, use_keyring=False) as vault:
        vault.change_passphrase(PASSPHRASE, "the new passphrase")
    assert _slot_params(vault_path)[CHECK] != before
    with pytest.raises(VaultError):
        Vault.open(vault_path, PASSPHRASE, use_keyring=False)
    result = _probe(vault_path, "the new passphrase", cred)
    assert result["cipher_at_open"] is False and result["value_ok"] is True


def test_a_slot_checked_by_its_own_key_that_does_not_open_says_damaged(vault_path: Path) -> None:
    """Only a holder of the wrap key can make a slot whose check holds but whose wrapped
    key does not open: the vault opens, and the first token that needs the key says the
    file is damaged (never a wrong value, never a wrong-passphrase loop)."""
    from app.vault.kdf import KdfParams, derive_key
    from app.vault.subkeys import slot_aad, slot_check

    cred = _fill(vault_path, passphrase=PASSPHRASE, use_keyring=False)
    params = _slot_params(vault_path)
    conn = sqlite3.connect(vault_path)
    with conn:
        (vault_id,) = conn.execute("SELECT value FROM meta WHERE key = 'vault_id'").fetchone()
        (wrapped,) = conn.execute("SELECT wrapped FROM keyslots").fetchone()
        flipped = bytes(wrapped[:-1]) + bytes((wrapped[-1] ^ 1,))
        key = derive_key(PASSPHRASE, KdfParams.from_json(params)).key
        params[CHECK] = slot_check(key, slot_aad("passphrase", vault_id), flipped)
        conn.execute("UPDATE keyslots SET params = ?, wrapped = ?", (json.dumps(params), flipped))
    conn.close()
    with Vault.open(vault_path, PASSPHRASE, use_keyring=False) as vault:
        assert [p.ref for p in vault.partners()] == ["NL-ABC"]
        with pytest.raises(VaultError) as info:
            vault.reveal(cred)
    assert info.value.code == "vault.corrupt"
    assert "key slot does not open" in str(info.value)
