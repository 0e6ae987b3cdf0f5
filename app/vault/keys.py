"""Where the data key comes from: a passphrase slot, an OS-keyring slot, or nowhere.

The data key is stored only wrapped, once per "key slot": a passphrase slot (scrypt salt
and cost plus the wrapped key) and/or a keyring slot (the wrap key lives in the OS keyring
under service "ocpi-onboard" and the vault's random id). Unlock order: an explicit
passphrase, else OCPI_ONBOARD_PASSPHRASE, else the keyring slot; nothing -> vault.locked.
A keyring counts only if it is a real backend: not keyring's fail/null backends, not an
empty chainer, not keyrings.alt (which keeps secrets as base64 in a plain file).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.vault.errors import VaultError
from app.vault.kdf import KEY_LEN, DerivedKey, KdfParams, derive_key

# The cipher steps (`crypto`, which loads `cryptography`) are imported by the functions
# that wrap or unwrap a key: reading a slot's scrypt params or the environment's
# passphrase (app.vault.key_ahead, before the window's modules load) needs none of them.

if TYPE_CHECKING:  # keyring (and its entry-point scan) loads only when a keyring is asked
    from keyring.backend import KeyringBackend

SERVICE = "ocpi-onboard"
PASSPHRASE_ENV = "OCPI_ONBOARD_PASSPHRASE"
PASSPHRASE = "passphrase"
KEYRING = "keyring"

Unlocker = str | DerivedKey


@dataclass(frozen=True)
class KeySlot:
    """One stored wrapping of the data key (a row of the keyslots table)."""

    kind: str
    params: dict[str, Any]
    wrapped: bytes

    @property
    def params_json(self) -> str:
        return json.dumps(self.params, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_row(cls, kind: str, params: str, wrapped: bytes) -> KeySlot:
        data = json.loads(params)
        if not isinstance(data, dict):
            raise ValueError("bad key slot")
        return cls(kind, data, bytes(wrapped))


def env_passphrase() -> str | None:
    """OCPI_ONBOARD_PASSPHRASE, or None if unset or empty."""
    return os.environ.get(PASSPHRASE_ENV) or None


def _is_real(backend: KeyringBackend) -> bool:
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return any(_is_real(b) for b in backend.backends)
    return not type(backend).__module__.startswith("keyrings.alt")


def keyring_usable() -> bool:
    """True if the OS keyring has a real backend that can hold a wrap key."""
    import keyring

    try:
        return _is_real(keyring.get_keyring())
    except Exception:
        return False


def keyring_store(vault_id: str, key: bytes) -> None:
    import keyring

    try:
        keyring.set_password(SERVICE, vault_id, base64.b64encode(key).decode("ascii"))
    except Exception as exc:
        raise VaultError("vault.locked", "the OS keyring refused to store the key") from exc


def keyring_load(vault_id: str) -> bytes | None:
    """The wrap key from the OS keyring, or None if it is not there or unreadable."""
    import keyring

    try:
        text = keyring.get_password(SERVICE, vault_id)
    except Exception:
        return None
    if not text:
        return None
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == KEY_LEN else None


def keyring_forget(vault_id: str) -> None:
    import keyring

    # Nothing stored, or no keyring: either way the key is gone from here.
    with contextlib.suppress(Exception):
        keyring.delete_password(SERVICE, vault_id)


def make_passphrase_slot(data_key: bytes, vault_id: str, secret: Unlocker) -> KeySlot:
    """A passphrase slot wrapping `data_key` (a str is derived under a fresh salt)."""
    from app.vault.crypto import seal, slot_aad

    derived = derive_key(secret) if isinstance(secret, str) else secret
    wrapped = seal(derived.key, data_key, slot_aad(PASSPHRASE, vault_id))
    return KeySlot(PASSPHRASE, derived.params.to_json(), wrapped)


def make_keyring_slot(data_key: bytes, vault_id: str) -> KeySlot:
    """A keyring slot: a fresh wrap key goes to the OS keyring, the wrapped data key here."""
    from app.vault.crypto import new_key, seal, slot_aad

    if not keyring_usable():
        raise VaultError("vault.locked", "no OS keyring is available")
    wrap_key = new_key()
    keyring_store(vault_id, wrap_key)
    wrapped = seal(wrap_key, data_key, slot_aad(KEYRING, vault_id))
    return KeySlot(KEYRING, {"service": SERVICE, "username": vault_id}, wrapped)


def slot_params(slot: KeySlot) -> KdfParams:
    try:
        return KdfParams.from_json(slot.params)
    except ValueError as exc:
        raise VaultError("vault.corrupt", "bad passphrase key slot") from exc


def slot_key(params: KdfParams, secret: Unlocker, other: str) -> DerivedKey:
    """The key that opens a passphrase-sealed slot with `params`: derived here from a
    passphrase, or derived earlier in a worker thread (VaultError vault.wrong_passphrase if
    that was for other params; `other` names what it was for, e.g. "another vault")."""
    if isinstance(secret, DerivedKey):
        if secret.params != params:
            raise VaultError("vault.wrong_passphrase", f"key derived for {other}")
        return secret
    return derive_key(secret, params)


def open_passphrase_slot(slot: KeySlot, vault_id: str, secret: Unlocker) -> bytes:
    """The data key from a passphrase slot; VaultError vault.wrong_passphrase if it fails."""
    from app.vault.crypto import InvalidTag, open_box, slot_aad

    derived = slot_key(slot_params(slot), secret, "another vault")
    try:
        return open_box(derived.key, slot.wrapped, slot_aad(PASSPHRASE, vault_id))
    except InvalidTag:
        raise VaultError("vault.wrong_passphrase") from None


def open_keyring_slot(slot: KeySlot, vault_id: str) -> bytes:
    """The data key from the keyring slot; VaultError vault.locked if the keyring fails."""
    from app.vault.crypto import InvalidTag, open_box, slot_aad

    if not keyring_usable():
        raise VaultError("vault.locked", "no OS keyring is available")
    wrap_key = keyring_load(vault_id)
    if wrap_key is None:
        raise VaultError("vault.locked", "the OS keyring has no key for this vault")
    try:
        return open_box(wrap_key, slot.wrapped, slot_aad(KEYRING, vault_id))
    except InvalidTag:
        raise VaultError("vault.locked", "the OS keyring's key does not open this vault") from None


def unlock(
    slots: dict[str, KeySlot], vault_id: str, secret: Unlocker | None, use_keyring: bool
) -> bytes:
    """The data key: from the passphrase slot if a passphrase is given, else the keyring slot.

    `secret` is the explicit passphrase or OCPI_ONBOARD_PASSPHRASE (the caller resolves it).
    """
    if secret is not None and PASSPHRASE in slots:
        return open_passphrase_slot(slots[PASSPHRASE], vault_id, secret)
    if use_keyring and KEYRING in slots:
        return open_keyring_slot(slots[KEYRING], vault_id)
    if secret is not None:
        raise VaultError("vault.locked", "this vault has no passphrase; it opens with the keyring")
    raise VaultError("vault.locked")
