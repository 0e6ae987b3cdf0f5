"""Unlocking: passphrase, environment, OS keyring, derived keys, passphrase changes."""

from __future__ import annotations

import contextlib
import pickle
import sqlite3
from pathlib import Path

import keyring
import pytest
from keyring.backends import chainer, fail, null

from app.core.tokens import Secret, TokenRole
from app.vault import (
    PASSPHRASE_ENV,
    DerivedKey,
    Direction,
    KdfParams,
    Vault,
    VaultError,
    derive_key,
    keyring_usable,
)
from app.vault.keys import SERVICE
from tests.vault.vault_helpers import PASSPHRASE, MemoryKeyring, file_digests, partner


def _ciphertexts(path: Path) -> list[bytes]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return [bytes(r[0]) for r in conn.execute("SELECT ciphertext FROM credentials ORDER BY id")]


def _store_token(path: Path, passphrase: str | None = PASSPHRASE) -> int:
    with Vault.open(path, passphrase) as vault:
        pid = vault.save_partner(partner()).id
        assert pid is not None
        return vault.add_token(pid, TokenRole.C, Direction.OUTBOUND, Secret("the-token")).id


# --- where the key comes from ---------------------------------------------------------------


def test_environment_passphrase_for_headless_use(
    vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    cred = _store_token(vault_path, None)
    with Vault.open(vault_path) as vault:
        assert vault.reveal(cred).reveal() == "the-token"
    monkeypatch.setenv(PASSPHRASE_ENV, "")
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path)
    assert info.value.code == "vault.locked"


def test_explicit_passphrase_beats_the_environment(
    vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_token(vault_path)
    monkeypatch.setenv(PASSPHRASE_ENV, "something else")
    Vault.open(vault_path, PASSPHRASE).close()
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path)
    assert info.value.code == "vault.wrong_passphrase"


def test_no_passphrase_and_no_keyring_is_locked(vault_path: Path) -> None:
    _store_token(vault_path)
    before = file_digests(vault_path)
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path)
    assert info.value.code == "vault.locked"
    assert "OCPI_ONBOARD_PASSPHRASE" in info.value.diagnosis.hint
    assert file_digests(vault_path) == before


def test_keyring_backends_that_do_not_count() -> None:
    assert not keyring_usable()  # the fail backend pinned by conftest
    keyring.set_keyring(null.Keyring())
    assert not keyring_usable()
    keyring.set_keyring(MemoryKeyring())
    assert keyring_usable()

    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    keyring.set_keyring(PlaintextKeyring())
    assert not keyring_usable()


def test_chainer_counts_only_if_it_chains_a_real_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    keyring.set_keyring(chainer.ChainerBackend())
    assert not keyring_usable()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [fail.Keyring(), MemoryKeyring()])
    assert keyring_usable()


def test_a_new_vault_without_passphrase_uses_the_keyring(
    vault_path: Path, memory_keyring: MemoryKeyring
) -> None:
    cred = _store_token(vault_path, None)
    with Vault.open(vault_path) as vault:
        assert vault.key_slots() == ["keyring"]
        assert vault.reveal(cred).reveal() == "the-token"
        vault_id = vault.vault_id
    stored = memory_keyring.store[(SERVICE, vault_id)]
    assert "the-token" not in stored
    # use_keyring=False: the keyring is not consulted, and nothing else opens this vault.
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path, use_keyring=False)
    assert info.value.code == "vault.locked"
    # A passphrase cannot open a keyring-only vault; with the keyring allowed, it still opens.
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path, PASSPHRASE, use_keyring=False)
    assert info.value.code == "vault.locked"
    assert "no passphrase" in (info.value.diagnosis.detail or "")
    Vault.open(vault_path, PASSPHRASE).close()


def test_keyring_losing_the_key_is_locked_not_corrupt(
    vault_path: Path, memory_keyring: MemoryKeyring
) -> None:
    _store_token(vault_path, None)
    memory_keyring.store.clear()
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path)
    assert info.value.code == "vault.locked"
    assert info.value.diagnosis.detail == "the OS keyring has no key for this vault"
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path)
    assert info.value.code == "vault.locked"


def test_a_wrong_key_in_the_keyring_is_refused(
    vault_path: Path, memory_keyring: MemoryKeyring
) -> None:
    _store_token(vault_path, None)
    (entry,) = memory_keyring.store
    memory_keyring.store[entry] = "A" * 43 + "="
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path)
    assert info.value.code == "vault.locked"


def test_passphrase_wins_over_keyring_and_keyring_can_be_added_and_dropped(
    vault_path: Path, memory_keyring: MemoryKeyring
) -> None:
    cred = _store_token(vault_path)
    assert not memory_keyring.store
    with Vault.open(vault_path, PASSPHRASE) as vault:
        vault.enable_keyring()
        assert vault.key_slots() == ["keyring", "passphrase"]
    with Vault.open(vault_path) as vault:
        assert vault.reveal(cred).reveal() == "the-token"
        vault.disable_keyring()
        assert vault.key_slots() == ["passphrase"]
    assert not memory_keyring.store
    with pytest.raises(VaultError):
        Vault.open(vault_path)


def test_keyring_only_vault_can_get_a_passphrase(
    vault_path: Path, memory_keyring: MemoryKeyring
) -> None:
    cred = _store_token(vault_path, None)
    with Vault.open(vault_path) as vault:
        with pytest.raises(ValueError):
            vault.disable_keyring()
        with pytest.raises(ValueError):
            vault.change_passphrase("x", "y")
        vault.set_passphrase(PASSPHRASE)
        with pytest.raises(ValueError):
            vault.set_passphrase("again")
    with Vault.open(vault_path, PASSPHRASE, use_keyring=False) as vault:
        assert vault.reveal(cred).reveal() == "the-token"


def test_enable_keyring_without_a_real_backend_is_locked(vault: Vault) -> None:
    with pytest.raises(VaultError) as info:
        vault.enable_keyring()
    assert info.value.code == "vault.locked"
    assert vault.key_slots() == ["passphrase"]


# --- changing the passphrase ----------------------------------------------------------------


def test_change_passphrase_rewraps_the_data_key_only(vault_path: Path) -> None:
    cred = _store_token(vault_path)
    before = _ciphertexts(vault_path)
    with Vault.open(vault_path, PASSPHRASE) as vault:
        with pytest.raises(VaultError) as info:
            vault.change_passphrase("wrong", "new passphrase")
        assert info.value.code == "vault.wrong_passphrase"
        vault.change_passphrase(PASSPHRASE, "new passphrase")
        assert vault.reveal(cred).reveal() == "the-token"
    assert _ciphertexts(vault_path) == before
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path, PASSPHRASE)
    assert info.value.code == "vault.wrong_passphrase"
    with Vault.open(vault_path, "new passphrase") as vault:
        assert vault.reveal(cred).reveal() == "the-token"


def test_a_failed_change_keeps_the_old_passphrase(vault_path: Path) -> None:
    _store_token(vault_path)
    with Vault.open(vault_path, PASSPHRASE) as vault, pytest.raises(VaultError):
        vault.change_passphrase("nope", "other")
    Vault.open(vault_path, PASSPHRASE).close()


# --- derived keys (the GUI runs scrypt in a worker thread) ------------------------------------


def test_open_with_a_key_derived_beforehand(vault_path: Path) -> None:
    assert Vault.kdf_params(vault_path) is None
    params = KdfParams.fresh()
    created_with = derive_key(PASSPHRASE, params)
    with Vault.open(vault_path, created_with) as vault:
        pid = vault.save_partner(partner()).id
        assert pid is not None
        cred = vault.add_token(pid, TokenRole.A, Direction.OUTBOUND, Secret("a")).id
    stored = Vault.kdf_params(vault_path)
    assert stored == params
    with Vault.open(vault_path, derive_key(PASSPHRASE, stored)) as vault:
        assert vault.reveal(cred).reveal() == "a"
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path, derive_key("wrong", stored))
    assert info.value.code == "vault.wrong_passphrase"
    with pytest.raises(VaultError) as info:
        Vault.open(vault_path, derive_key(PASSPHRASE))  # another salt
    assert info.value.code == "vault.wrong_passphrase"


def test_kdf_params_reads_without_locking(vault: Vault, vault_path: Path) -> None:
    params = Vault.kdf_params(vault_path)
    assert params is not None and params.n == 2**15 and params.r == 8 and params.p == 1


def test_derived_keys_do_not_print_or_pickle() -> None:
    derived = derive_key(PASSPHRASE)
    assert isinstance(derived, DerivedKey)
    assert derived.key.hex() not in repr(derived) and PASSPHRASE not in repr(derived)
    with pytest.raises(TypeError):
        pickle.dumps(derived)
