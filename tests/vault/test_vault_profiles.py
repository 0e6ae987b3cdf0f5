"""Partner profiles in the vault: the client key encrypted and bound to its partner, the
profile kept across a re-registration and an export/import, proposals applied on request."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.core.profile import Profile
from app.vault import Vault, VaultError
from app.vault.profiles import ProfileStore
from tests.vault.vault_helpers import PASSPHRASE, partner

KEY = (
    "-----BEGIN PRIVATE KEY-----\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n-----END PRIVATE KEY-----\n"
)
CERT = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n"
PROFILE = Profile(
    name="hub",
    title="A hub",
    rotation="delete-register",
    routing_headers=True,
    client_cert=CERT,
    client_key=KEY,
)


def test_the_client_key_is_encrypted_and_bound_to_its_partner(tmp_path: Path) -> None:
    path = tmp_path / "v" / "vault.db"
    with Vault.open(path, PASSPHRASE) as vault:
        one = vault.save_partner(partner("NL", "ONE"))
        two = vault.save_partner(partner("NL", "TWO"))
        assert one.id is not None and two.id is not None
        store = ProfileStore(vault)
        store.save(one.id, PROFILE)
        loaded = store.load(one.id)
        assert loaded is not None and loaded.client_key == KEY and loaded.source == "vault"
        assert replace(loaded, source="x") == replace(PROFILE, source="x")
        assert store.load(two.id) is None
        # a key moved to another partner's row does not decrypt (associated data)
        vault._exec(
            "INSERT INTO partner_profiles (partner_id, profile, client_key, updated)"
            " SELECT ?, profile, client_key, updated FROM partner_profiles WHERE partner_id = ?",
            (two.id, one.id),
        )
        with pytest.raises(VaultError) as info:
            store.load(two.id)
        assert info.value.code == "vault.tampered"
    raw = b"".join(p.read_bytes() for p in path.parent.iterdir() if p.is_file())
    assert b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo" not in raw


def test_proposals_move_apply_and_survive_an_export(tmp_path: Path) -> None:
    with Vault.open(tmp_path / "a" / "vault.db", PASSPHRASE) as vault:
        old = vault.save_partner(partner("NL", "OLD"))
        new = vault.save_partner(partner("NL", "NEW"))
        assert old.id is not None and new.id is not None
        store = ProfileStore(vault)
        store.save(old.id, PROFILE)
        store.set_proposals(old.id, [{"key": "token_encoding", "value": "plain", "why": "seen"}])
        store.move(old.id, new.id)
        assert store.proposals(new.id)[0]["key"] == "token_encoding"
        applied = store.apply(new.id, "token_encoding")
        assert applied.token_encoding == "plain" and store.proposals(new.id) == []
        with pytest.raises(VaultError):
            store.apply(new.id, "token_encoding")  # nothing left to apply
        vault.export_to(tmp_path / "backup.ocpi", "export pass")
    with Vault.import_from(
        tmp_path / "backup.ocpi",
        "export pass",
        tmp_path / "b" / "vault.db",
        vault_passphrase=PASSPHRASE,
        use_keyring=False,
    ) as copy:
        restored = ProfileStore(copy).load(new.id)
        assert restored is not None and restored.client_key == KEY
        assert restored.token_encoding == "plain" and restored.rotation == "delete-register"
