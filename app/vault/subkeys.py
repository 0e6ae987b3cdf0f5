"""The vault's key steps that need no cipher: HKDF subkeys, key checks, fresh keys, labels.

Split out of `crypto` (issue 13, memory): `cryptography`'s Rust module costs ~8 MiB
resident, and opening the vault and drawing the partners list need no cipher. What they
do need is here, on the standard library alone: `subkey` (HKDF-SHA256, RFC 5869, built on
`hmac`; tests/vault/test_vault_subkeys.py shows it byte-identical to `cryptography`'s
`HKDF` for the same key, salt and info), the key check a slot keeps of its wrap key (so a
wrong passphrase is refused without unwrapping anything), and the associated-data labels.
`crypto` re-exports every name, so callers keep one place to look.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from app.vault.kdf import KEY_LEN

_HASH_LEN = hashlib.sha256().digest_size
SLOT_CHECK_PURPOSE = "ocpi-onboard/slot-check/v1"


def hkdf_sha256(key: bytes, info: bytes, length: int = KEY_LEN, salt: bytes | None = None) -> bytes:
    """HKDF-SHA256 (RFC 5869): extract with `salt` (zeros if None), expand to `length`."""
    if not 0 < length <= 255 * _HASH_LEN:
        raise ValueError("HKDF-SHA256 gives 1 to 8160 bytes")
    prk = hmac.digest(salt if salt else bytes(_HASH_LEN), key, "sha256")
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.digest(prk, block + info + bytes((counter,)), "sha256")
        okm += block
        counter += 1
    return okm[:length]


def subkey(key: bytes, purpose: str) -> bytes:
    """An independent 32-byte key for `purpose`, derived from `key` with HKDF-SHA256."""
    return hkdf_sha256(key, purpose.encode())


def new_key() -> bytes:
    """A fresh random 32-byte key (data key, keyring wrap key)."""
    return os.urandom(KEY_LEN)


def slot_aad(kind: str, vault_id: str) -> bytes:
    """Associated data for a wrapped data key: the slot kind and the vault it belongs to."""
    return f"ocpi-onboard/keyslot/v1|{kind}|{vault_id}".encode()


def token_aad(partner_id: int, role: str, row_id: int) -> bytes:
    """Associated data for a token value: the partner, the token role and the row."""
    return f"ocpi-onboard/token/v1|{partner_id}|{role}|{row_id}".encode()


def slot_check(wrap_key: bytes, label: bytes, wrapped: bytes) -> str:
    """The public check value a key slot keeps of its wrap key and wrapped data key (hex):
    HMAC-SHA256 under a subkey of the wrap key, over the slot's label and the wrapped key.
    It tells the right wrap key from a wrong one, and an intact wrapped key from an altered
    one, without AES-GCM; it tells an attacker nothing the wrapped key's own tag does not."""
    mac = hmac.new(subkey(wrap_key, SLOT_CHECK_PURPOSE), label, hashlib.sha256)
    mac.update(b"|")
    mac.update(wrapped)
    return mac.hexdigest()
