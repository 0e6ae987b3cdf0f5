"""Team members' key slots: one team data key, wrapped once per member.

Each member has an X25519 key pair. The private key is sealed under the member's
passphrase (scrypt, like a personal vault's passphrase slot); the team data key is sealed
to the member's public key (ephemeral X25519 + HKDF + AES-GCM). So any unlocked member can
give the data key to a new member, and a re-key (when a member leaves) wraps a fresh data
key to every remaining public key without knowing anyone's passphrase. A removed member's
slot, even copied beforehand, opens only the old data key, under which nothing is stored
any more. Associated data binds every box to the vault id and the member's name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from app.vault.crypto import DerivedKey, InvalidTag, KdfParams, derive_key, open_box, seal, subkey
from app.vault.errors import VaultError
from app.vault.keys import slot_key

MEMBER_COLUMNS = "name, public_key, params, wrapped_private, wrapped_data, created, updated"
NAME_MAX = 64

MIGRATION_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE members (
        name TEXT PRIMARY KEY,
        public_key BLOB NOT NULL,
        params TEXT NOT NULL,
        wrapped_private BLOB NOT NULL,
        wrapped_data BLOB NOT NULL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL)""",
)


def _aad(vault_id: str, name: str, what: str) -> bytes:
    return f"ocpi-onboard/member/v1|{what}|{vault_id}|{name}".encode()


def check_name(name: str) -> str:
    """A member name as stored (stripped); ValueError for an empty or odd one."""
    text = name.strip()
    if not text or len(text) > NAME_MAX or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise ValueError("a member name is 1-64 printable characters without spaces")
    return text


@dataclass(frozen=True)
class MemberSlot:
    """One member's row: public key, passphrase-sealed private key, data key sealed to them."""

    name: str
    public_key: bytes
    params: dict[str, Any]
    wrapped_private: bytes
    wrapped_data: bytes
    created: str = ""
    updated: str = ""

    @property
    def params_json(self) -> str:
        return json.dumps(self.params, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_row(cls, row: Any) -> MemberSlot:
        name, public, params, private, data, created, updated = row
        loaded = json.loads(params)
        if not isinstance(loaded, dict):
            raise VaultError("vault.corrupt", "bad member slot")
        return cls(str(name), bytes(public), loaded, bytes(private), bytes(data), created, updated)

    def row(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.public_key,
            self.params_json,
            self.wrapped_private,
            self.wrapped_data,
            self.created,
            self.updated,
        )


def _wrap_key(shared: bytes, ephemeral: bytes, public: bytes) -> bytes:
    return subkey(shared, f"ocpi-onboard/member-wrap/v1|{ephemeral.hex()}|{public.hex()}")


def seal_to(public: bytes, data_key: bytes, aad: bytes) -> bytes:
    """ephemeral public key (32) || AES-GCM box of `data_key` for the holder of `public`."""
    ephemeral = X25519PrivateKey.generate()
    eph_public = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))
    return eph_public + seal(_wrap_key(shared, eph_public, public), data_key, aad)


def new_slot(
    name: str, vault_id: str, data_key: bytes, secret: str | DerivedKey, now: str
) -> MemberSlot:
    """A new member's slot for `data_key`, opened later by `secret` (their passphrase)."""
    derived = derive_key(secret) if isinstance(secret, str) else secret
    private = X25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return MemberSlot(
        name,
        public,
        derived.params.to_json(),
        seal(derived.key, raw, _aad(vault_id, name, "private")),
        seal_to(public, data_key, _aad(vault_id, name, "data")),
        now,
        now,
    )


def slot_params(slot: MemberSlot) -> KdfParams:
    try:
        return KdfParams.from_json(slot.params)
    except ValueError as exc:
        raise VaultError("vault.corrupt", "bad member slot") from exc


def _private_key(slot: MemberSlot, vault_id: str, secret: str | DerivedKey) -> X25519PrivateKey:
    derived = slot_key(slot_params(slot), secret, "another slot")
    try:
        raw = open_box(derived.key, slot.wrapped_private, _aad(vault_id, slot.name, "private"))
    except InvalidTag:
        raise VaultError("vault.wrong_passphrase") from None
    return X25519PrivateKey.from_private_bytes(raw)


def open_slot(slot: MemberSlot, vault_id: str, secret: str | DerivedKey) -> bytes:
    """The team data key from a member's slot. VaultError vault.wrong_passphrase, or
    vault.corrupt if the slot's data box was altered."""
    private = _private_key(slot, vault_id, secret)
    eph_public, box = slot.wrapped_data[:32], slot.wrapped_data[32:]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(eph_public))
        return open_box(
            _wrap_key(shared, eph_public, slot.public_key),
            box,
            _aad(vault_id, slot.name, "data"),
        )
    except (InvalidTag, ValueError):
        raise VaultError("vault.corrupt", "a member slot was altered") from None


def rewrapped(slot: MemberSlot, vault_id: str, data_key: bytes, now: str) -> MemberSlot:
    """The same member, holding a new data key (a re-key): no passphrase needed."""
    wrapped = seal_to(slot.public_key, data_key, _aad(vault_id, slot.name, "data"))
    return replace(slot, wrapped_data=wrapped, updated=now)


def with_new_passphrase(
    slot: MemberSlot, vault_id: str, old: str, new: str | DerivedKey, now: str
) -> MemberSlot:
    """The member's private key sealed under a new passphrase (the data box unchanged)."""
    private = _private_key(slot, vault_id, old)
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    derived = derive_key(new) if isinstance(new, str) else new
    sealed = seal(derived.key, raw, _aad(vault_id, slot.name, "private"))
    return replace(slot, params=derived.params.to_json(), wrapped_private=sealed, updated=now)
