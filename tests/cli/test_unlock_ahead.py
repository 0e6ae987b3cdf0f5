"""The vault key derived ahead (app/cli/unlock_ahead.py): a head start, never another answer.

Real vault files; what is checked is which key opens what, not how fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import unlock_ahead
from app.cli.common import open_vault
from app.vault import DerivedKey, Vault, VaultError
from app.vault.keys import PASSPHRASE_ENV

PASSPHRASE = "unlock ahead passphrase"


@pytest.fixture
def vault_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    path = tmp_path / "v.db"
    Vault.open(path, PASSPHRASE, use_keyring=False).close()
    return path


def test_key_derived_ahead_opens_the_vault(
    vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    unlock_ahead.start(vault_path)
    key = unlock_ahead.take(vault_path)
    assert isinstance(key, DerivedKey)
    assert key.params == Vault.kdf_params(vault_path)
    assert unlock_ahead.take(vault_path) is None  # handed out once
    Vault.open(vault_path, key, use_keyring=False).close()
    unlock_ahead.start(vault_path)
    with open_vault(vault_path) as vault:
        assert vault.partners() == []


def test_nothing_ahead_without_the_passphrase_or_the_file(
    tmp_path: Path, vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    unlock_ahead.start(vault_path)
    assert unlock_ahead.take(vault_path) is None
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    unlock_ahead.start(tmp_path / "new.db")  # no file yet: the ordinary open creates it
    assert unlock_ahead.take(tmp_path / "new.db") is None
    unlock_ahead.start(vault_path)
    assert unlock_ahead.take(tmp_path / "other.db") is None  # another vault: not used


def test_params_changed_meanwhile_derives_again(
    vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    before = Vault.kdf_params(vault_path)
    unlock_ahead.start(vault_path)
    with Vault.open(vault_path, PASSPHRASE, use_keyring=False) as vault:
        vault.change_passphrase(PASSPHRASE, PASSPHRASE)  # same text, fresh salt
    assert Vault.kdf_params(vault_path) != before
    with open_vault(vault_path) as vault:
        assert vault.partners() == []


def test_wrong_passphrase_is_still_refused(
    vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "not the passphrase")
    unlock_ahead.start(vault_path)
    with pytest.raises(VaultError) as raised:
        open_vault(vault_path)
    assert raised.value.diagnosis.code == "vault.wrong_passphrase"
