"""How a vault unlocks: its key slots (a passphrase and/or the OS keyring).

The data key never changes here; only its wrappings do (see `keys` for the crypto). A vault
always keeps at least one way in. `KeySlotsMixin` is one part of `Vault` (see `store`).
"""

from __future__ import annotations

import hmac

from app.vault.base import VaultBase
from app.vault.errors import VaultError
from app.vault.keys import (
    KEYRING,
    PASSPHRASE,
    KeySlot,
    keyring_forget,
    make_keyring_slot,
    make_passphrase_slot,
    open_passphrase_slot,
)
from app.vault.records import now_iso


class KeySlotsMixin(VaultBase):
    """The key-slot half of the Vault API."""

    def key_slots(self) -> list[str]:
        """How this vault can be unlocked: "keyring" and/or "passphrase"."""
        return sorted(self._slots)

    def _store_slot(self, slot: KeySlot) -> None:
        now = now_iso()
        with self._write():
            self._exec(
                "INSERT INTO keyslots (kind, params, wrapped, created, updated)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind) DO UPDATE SET"
                " params = excluded.params, wrapped = excluded.wrapped,"
                " updated = excluded.updated",
                (slot.kind, slot.params_json, slot.wrapped, now, now),
            )
        self._slots[slot.kind] = slot

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-wrap the data key under `new` (tokens are not re-encrypted).

        VaultError vault.wrong_passphrase if `old` is wrong (nothing changes). A vault
        without a passphrase gets one with `set_passphrase`.
        """
        slot = self._slots.get(PASSPHRASE)
        if slot is None:
            raise ValueError("this vault has no passphrase yet: use set_passphrase")
        data_key = open_passphrase_slot(slot, self._vault_id, old)
        if not hmac.compare_digest(data_key, self._data_key):
            raise VaultError("vault.wrong_passphrase")
        self._store_slot(make_passphrase_slot(self._data_key, self._vault_id, new))

    def set_passphrase(self, new: str) -> None:
        """Add a passphrase to a vault that opens only with the OS keyring."""
        if PASSPHRASE in self._slots:
            raise ValueError("this vault has a passphrase: use change_passphrase")
        self._store_slot(make_passphrase_slot(self._data_key, self._vault_id, new))

    def enable_keyring(self) -> None:
        """Also keep a wrap key in the OS keyring, so the vault opens without a passphrase.

        VaultError vault.locked if no real OS keyring is available.
        """
        self._store_slot(make_keyring_slot(self._data_key, self._vault_id))

    def disable_keyring(self) -> None:
        """Drop the keyring slot and its key; needs a passphrase slot (ValueError if none)."""
        if KEYRING not in self._slots:
            return
        if PASSPHRASE not in self._slots:
            raise ValueError("set a passphrase first: it would be the only way in")
        with self._write():
            self._exec("DELETE FROM keyslots WHERE kind = ?", (KEYRING,))
        del self._slots[KEYRING]
        keyring_forget(self._vault_id)
