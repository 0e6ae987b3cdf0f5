"""scrypt from the standard library (app.vault.kdf) is cryptography's scrypt, byte for byte.

The vault's key is derived with `hashlib.scrypt` so that the GUI can start deriving before
`cryptography` loads (issue 13). Vaults written with the old derivation must open exactly
as before: these tests compare both functions on the same inputs, and open a vault whose
passphrase slot was sealed under a key from cryptography's Scrypt.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from app.vault import DerivedKey, KdfParams, Vault, VaultError, crypto, derive_key, kdf
from app.vault.keys import PASSPHRASE, make_passphrase_slot

ROOT = Path(__file__).resolve().parents[2]


def _cryptography(data: bytes, params: KdfParams) -> bytes:
    kdf_ = Scrypt(salt=params.salt, length=32, n=params.n, r=params.r, p=params.p)
    return kdf_.derive(data)


@pytest.mark.parametrize(
    ("n", "r", "p"),
    [(2**15, 8, 1), (2**14, 8, 1), (2**14, 1, 1), (2**14, 4, 3), (2**16, 8, 2)],
)
def test_hashlib_scrypt_equals_cryptography_scrypt(n: int, r: int, p: int) -> None:
    for passphrase in ("correct horse battery staple", "pässword", "\u0130\u00df\u2603 x", "a"):
        params = KdfParams(os.urandom(16), n, r, p)
        data = passphrase.encode("utf-8", "surrogatepass")
        assert kdf.scrypt(data, params) == _cryptography(data, params)


def test_derive_key_is_the_same_key_as_before() -> None:
    """derive_key = NFC-normalise, UTF-8, scrypt (as crypto.derive_key did with Scrypt)."""
    params = KdfParams.fresh()
    expected = _cryptography("pa\u0308ssword".replace("a\u0308", "\u00e4").encode(), params)
    assert derive_key("pa\u0308ssword", params).key == expected
    assert crypto.derive_key is kdf.derive_key and crypto.KdfParams is kdf.KdfParams


def test_costs_beyond_hashlibs_memory_cap_take_cryptographys_scrypt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params = KdfParams(os.urandom(16), 2**14, 8, 1)
    monkeypatch.setattr(kdf, "_HASHLIB_MAXMEM", 1024)  # as if the params needed > 2 GiB
    data = b"secret"
    assert kdf.scrypt(data, params) == _cryptography(data, params)


def test_a_vault_sealed_under_cryptographys_scrypt_opens(tmp_path: Path) -> None:
    """A passphrase slot written with the old derivation (cryptography's Scrypt) opens
    with the new one, and a wrong passphrase is still refused."""
    path = tmp_path / "vault.db"
    Vault.open(path, passphrase="first passphrase", use_keyring=False).close()
    with Vault.open(path, passphrase="first passphrase", use_keyring=False) as vault:
        data_key, vault_id = vault._data_key, vault._vault_id
    params = KdfParams.fresh()
    old_key = DerivedKey(_cryptography(b"old passphrase", params), params)
    slot = make_passphrase_slot(data_key, vault_id, old_key)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE keyslots SET params = ?, wrapped = ? WHERE kind = ?",
            (slot.params_json, slot.wrapped, PASSPHRASE),
        )
    conn.close()
    with Vault.open(path, passphrase="old passphrase", use_keyring=False) as vault:
        assert vault._data_key == data_key
    with pytest.raises(VaultError) as info:
        Vault.open(path, passphrase="first passphrase", use_keyring=False)
    assert info.value.code == "vault.wrong_passphrase"


def test_the_early_key_loads_no_cipher_library_and_no_vault(tmp_path: Path) -> None:
    """app.vault.key_ahead (started before Qt in the GUI) reads the params and derives
    without cryptography, the Vault class, or the rest of the vault package."""
    path = tmp_path / "vault.db"
    Vault.open(path, passphrase="early passphrase", use_keyring=False).close()
    probe = (
        "import json, sys\n"
        "from app.vault.key_ahead import start_env_key\n"
        f"early = start_env_key({str(path)!r})\n"
        "assert early is not None\n"
        "key = early.future.result(timeout=60)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "OCPI_ONBOARD_PASSPHRASE": "early passphrase"}
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    modules = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    heavy = ("cryptography", "app.vault.store", "app.vault.crypto", "app.vault.audit")
    assert [m for m in modules if m.startswith(heavy)] == []
    assert "app.vault.kdf" in modules
