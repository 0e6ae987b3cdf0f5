"""Partner profiles in the vault: one row per partner (table partner_profiles).

The profile's keys are stored as JSON; the client certificate and CA bundle as PEM text
inside it (public material); the client key of mutual TLS is encrypted like a token
(AES-GCM under the data key, associated data binding it to its partner), never in clear.
Proposals (what a run learnt and the person has not applied) are kept beside.
"""

from __future__ import annotations

import json
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

from app.core.profile import Profile
from app.vault.errors import VaultError
from app.vault.records import now_iso

if TYPE_CHECKING:  # store loads this module for exports: no import back at run time
    # (and the cipher's module, `cryptography`, with the first client key: issue 13)
    from app.vault.crypto import TokenCipher
    from app.vault.store import Vault


def _key_aad(partner_id: int) -> bytes:
    return f"ocpi-onboard/profile-client-key/v1|{partner_id}".encode()


class ProfileStore:
    """The narrow API for profiles; shares the vault's connection and transactions."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def save(self, partner_id: int, profile: Profile) -> None:
        """Store (or replace) the partner's profile; the client key encrypted."""
        data = {f.name: getattr(profile, f.name) for f in fields(profile)}
        key_text = data.pop("client_key")
        data["source"] = "vault"
        blob = self.vault._cipher.encrypt(key_text, _key_aad(partner_id)) if key_text else None
        with self.vault._write():
            self.vault._exec(
                "INSERT INTO partner_profiles (partner_id, profile, client_key, updated)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (partner_id) DO UPDATE SET"
                " profile = excluded.profile, client_key = excluded.client_key,"
                " updated = excluded.updated",
                (partner_id, json.dumps(data), blob, now_iso()),
            )

    def load(self, partner_id: int) -> Profile | None:
        """The partner's profile with its client key decrypted, or None if it has none."""
        rows = self.vault._read(
            "SELECT profile, client_key FROM partner_profiles WHERE partner_id = ?",
            (partner_id,),
        )
        if not rows:
            return None
        text, blob = rows[0]
        data: dict[str, Any] = json.loads(text)
        known = {f.name for f in fields(Profile)}
        profile = Profile(**{k: v for k, v in data.items() if k in known})
        if blob is not None:
            from app.vault.crypto import InvalidTag  # (`_cipher` below loads it anyway)

            try:
                key = self.vault._cipher.decrypt(bytes(blob), _key_aad(partner_id))
            except InvalidTag:
                raise VaultError("vault.tampered", f"client key of partner {partner_id}") from None
            profile = replace(profile, client_key=key)
        return profile

    def move(self, from_id: int, to_id: int) -> None:
        """A partner row replaced by a new one (re-registration) keeps its profile."""
        profile = self.load(from_id)
        if profile is None or self.load(to_id) is not None:
            return
        with self.vault._write():
            self.save(to_id, profile)
            self.set_proposals(to_id, self.proposals(from_id))

    def set_proposals(self, partner_id: int, proposals: list[dict[str, Any]]) -> None:
        with self.vault._write():
            self.vault._exec(
                "UPDATE partner_profiles SET proposals = ?, updated = ? WHERE partner_id = ?",
                (json.dumps(proposals), now_iso(), partner_id),
            )

    def proposals(self, partner_id: int) -> list[dict[str, Any]]:
        rows = self.vault._read(
            "SELECT proposals FROM partner_profiles WHERE partner_id = ?", (partner_id,)
        )
        return list(json.loads(rows[0][0])) if rows else []

    def apply(self, partner_id: int, key: str) -> Profile:
        """The person accepts one proposal: it becomes part of the profile."""
        profile = self.load(partner_id) or Profile(name=str(partner_id), source="vault")
        pending = self.proposals(partner_id)
        chosen = next((p for p in pending if p.get("key") == key), None)
        if chosen is None:
            raise VaultError("vault.credential_unknown", f"proposal {key}")
        updated = profile.merge(**{key: chosen["value"]})
        with self.vault._write():
            self.save(partner_id, updated)
            self.set_proposals(partner_id, [p for p in pending if p is not chosen])
        return updated

    # ---- export / import (the vault's encrypted backup) ---------------------------------
    def dump(self) -> list[dict[str, Any]]:
        """Every profile as plain data, the client key decrypted (the export is encrypted
        as a whole under its own passphrase, like the token values in it)."""
        rows = self.vault._read("SELECT partner_id FROM partner_profiles ORDER BY partner_id")
        out: list[dict[str, Any]] = []
        for (partner_id,) in rows:
            profile = self.load(int(partner_id))
            if profile is None:
                continue
            data = {f.name: getattr(profile, f.name) for f in fields(profile)}
            out.append(
                {
                    "partner_id": int(partner_id),
                    "profile": data,
                    "proposals": self.proposals(int(partner_id)),
                }
            )
        return out

    def load_dump(self, items: list[dict[str, Any]]) -> None:
        known = {f.name for f in fields(Profile)}
        for item in items:
            partner_id = int(item["partner_id"])
            values = {k: v for k, v in dict(item["profile"]).items() if k in known}
            self.save(partner_id, Profile(**values))
            self.set_proposals(partner_id, list(item.get("proposals") or []))


def reencrypt_client_keys(vault: Vault, old: TokenCipher, new: TokenCipher) -> None:
    """A team vault's re-key (a member removed): the client keys move to the new data key
    in the same transaction as the tokens (listed in team.REKEY_HOOKS)."""
    rows = vault._read(
        "SELECT partner_id, client_key FROM partner_profiles WHERE client_key IS NOT NULL"
    )
    from app.vault.crypto import InvalidTag  # (the ciphers' module: loaded already)

    for partner_id, blob in rows:
        aad = _key_aad(int(partner_id))
        try:
            key = old.decrypt(bytes(blob), aad)
        except InvalidTag:
            raise VaultError("vault.tampered", f"client key of partner {partner_id}") from None
        vault._exec(
            "UPDATE partner_profiles SET client_key = ? WHERE partner_id = ?",
            (new.encrypt(key, aad), partner_id),
        )


def copy_profiles(source: Vault, target: Vault, ids: dict[int, int]) -> int:
    """`vault migrate --to URL`: the profiles go along, under the partners' new ids (the
    client key re-encrypted under the target's data key)."""
    target_store = ProfileStore(target)
    copied = 0
    for item in ProfileStore(source).dump():
        new_id = ids.get(int(item["partner_id"]))
        if new_id is None:
            continue
        target_store.load_dump([{**item, "partner_id": new_id}])
        copied += 1
    return copied
