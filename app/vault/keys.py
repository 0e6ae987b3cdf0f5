"""Where the data key comes from: a passphrase slot, an OS-keyring slot, or nowhere.

The data key is stored only wrapped, once per "key slot": a passphrase slot (scrypt salt
and cost plus the wrapped key) and/or a keyring slot (the wrap key lives in the OS keyring
under service "ocpi-onboard" and the vault's random id). Unlock order: an explicit
passphrase, else OCPI_ONBOARD_PASSPHRASE, else the keyring slot; nothing -> vault.locked.
A keyring counts only if it is a real backend: not keyring's fail/null backends, not an
empty chainer, not keyrings.alt (which keeps secrets as base64 in a plain file).

Each slot also keeps a check value of its wrap key and wrapped key (`subkeys.slot_check`,
in its params as "check"; issue 13, memory): opening a vault verifies both with the
standard library and leaves the AES-GCM unwrap (and `cryptography`'s ~8 MiB) to the first
token that needs the data key. A wrong passphrase (or an altered slot) is still refused at
once, with the same message. A slot written before the check existed is unwrapped at open,
once, and stored back with its check (`Unlocked.upgraded`); older versions of the app
ignore the extra key, and every writer of a slot replaces its params whole, so a check is
never stale.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.vault.errors import VaultError
from app.vault.kdf import KEY_LEN, DerivedKey, KdfParams, derive_key
from app.vault.subkeys import slot_aad, slot_check

# The cipher steps (`crypto`, which loads `cryptography`) are imported by the functions
# that wrap or unwrap a key: reading a slot's scrypt params or the environment's
# passphrase (app.vault.key_ahead, before the window's modules load) needs none of them.

if TYPE_CHECKING:  # keyring (and its entry-point scan) loads only when a keyring is asked
    from keyring.backend import KeyringBackend

SERVICE = "ocpi-onboard"
PASSPHRASE_ENV = "OCPI_ONBOARD_PASSPHRASE"
PASSPHRASE = "passphrase"
KEYRING = "keyring"
CHECK = "check"  # the slot's params key for its wrap key's check value

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

    def checked(self, wrap_key: bytes, vault_id: str) -> KeySlot:
        """This slot with the check value of `wrap_key` in its params."""
        check = slot_check(wrap_key, slot_aad(self.kind, vault_id), self.wrapped)
        return KeySlot(self.kind, {**self.params, CHECK: check}, self.wrapped)


@dataclass(frozen=True)
class Unlocked:
    """An opened key slot: how to get the data key (`unwrap`: at once for a slot without a
    check, on first call otherwise), and the slot to store back with its new check."""

    unwrap: Callable[[], bytes]
    upgraded: KeySlot | None = None


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
    from app.vault.crypto import seal

    derived = derive_key(secret) if isinstance(secret, str) else secret
    wrapped = seal(derived.key, data_key, slot_aad(PASSPHRASE, vault_id))
    return KeySlot(PASSPHRASE, derived.params.to_json(), wrapped).checked(derived.key, vault_id)


def make_keyring_slot(data_key: bytes, vault_id: str) -> KeySlot:
    """A keyring slot: a fresh wrap key goes to the OS keyring, the wrapped data key here."""
    from app.vault.crypto import new_key, seal

    if not keyring_usable():
        raise VaultError("vault.locked", "no OS keyring is available")
    wrap_key = new_key()
    keyring_store(vault_id, wrap_key)
    wrapped = seal(wrap_key, data_key, slot_aad(KEYRING, vault_id))
    slot = KeySlot(KEYRING, {"service": SERVICE, "username": vault_id}, wrapped)
    return slot.checked(wrap_key, vault_id)


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
    """The data key from a passphrase slot, unwrapped now; VaultError vault.wrong_passphrase
    if it fails."""
    return _open_slot(slot, vault_id, _passphrase_key(slot, secret), _WRONG).unwrap()


def _passphrase_key(slot: KeySlot, secret: Unlocker) -> bytes:
    return slot_key(slot_params(slot), secret, "another vault").key


def _keyring_key(vault_id: str) -> bytes:
    if not keyring_usable():
        raise VaultError("vault.locked", "no OS keyring is available")
    wrap_key = keyring_load(vault_id)
    if wrap_key is None:
        raise VaultError("vault.locked", "the OS keyring has no key for this vault")
    return wrap_key


# why a slot refused its wrap key: (code, detail) of the VaultError
_WRONG = ("vault.wrong_passphrase", None)
_KEYRING_WRONG = ("vault.locked", "the OS keyring's key does not open this vault")


def _unwrap(
    slot: KeySlot, vault_id: str, wrap_key: bytes, refused: tuple[str, str | None]
) -> bytes:
    from app.vault.crypto import InvalidTag, open_box

    try:
        return open_box(wrap_key, slot.wrapped, slot_aad(slot.kind, vault_id))
    except InvalidTag:
        raise VaultError(*refused) from None


def _open_slot(
    slot: KeySlot, vault_id: str, wrap_key: bytes, refused: tuple[str, str | None]
) -> Unlocked:
    """Verify `wrap_key` by the slot's check (no cipher), the unwrap left to the first call;
    a slot without a check is unwrapped now and comes back with one."""
    check = slot.params.get(CHECK)
    if check is None:
        data_key = _unwrap(slot, vault_id, wrap_key, refused)
        return Unlocked(lambda: data_key, slot.checked(wrap_key, vault_id))
    expected = slot_check(wrap_key, slot_aad(slot.kind, vault_id), slot.wrapped)
    if not isinstance(check, str) or not hmac.compare_digest(check, expected):
        raise VaultError(*refused)  # a wrong key, or a wrapped key altered in the file
    # Right key, intact wrapped key: only someone holding the wrap key could have made a
    # slot that then fails to open; the first token that needs the key says so.
    altered = ("vault.corrupt", f"its {slot.kind} key slot does not open")
    return Unlocked(lambda: _unwrap(slot, vault_id, wrap_key, altered))


def unlock(
    slots: dict[str, KeySlot], vault_id: str, secret: Unlocker | None, use_keyring: bool
) -> Unlocked:
    """The data key: from the passphrase slot if a passphrase is given, else the keyring slot.

    `secret` is the explicit passphrase or OCPI_ONBOARD_PASSPHRASE (the caller resolves it).
    A wrong passphrase or keyring key raises here; the unwrap itself may come later (see
    `Unlocked`).
    """
    if secret is not None and PASSPHRASE in slots:
        slot = slots[PASSPHRASE]
        return _open_slot(slot, vault_id, _passphrase_key(slot, secret), _WRONG)
    if use_keyring and KEYRING in slots:
        return _open_slot(slots[KEYRING], vault_id, _keyring_key(vault_id), _KEYRING_WRONG)
    if secret is not None:
        raise VaultError("vault.locked", "this vault has no passphrase; it opens with the keyring")
    raise VaultError("vault.locked")
