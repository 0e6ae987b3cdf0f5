"""Every cryptographic step of the vault, in one file so it can be reviewed at once.

Key hierarchy: a random 32-byte data key (DEK) encrypts each token value with AES-GCM under
a fresh nonce. The DEK is stored only wrapped (AES-GCM again) by a key-encryption key that
comes from a passphrase (scrypt) or from the OS keyring. Associated data names where each
ciphertext lives (partner, token role, row), so a ciphertext copied to another row fails to
decrypt instead of quietly yielding the wrong partner's token. A keyed hash of each value
(HMAC-SHA256 under a subkey of the DEK) lets the vault find a token without decrypting all.

This module loads `cryptography` (AES-GCM; its Rust module is ~8 MiB resident): the vault
imports it only where a cipher step runs (a token's first decrypt, encrypt or lookup, a
slot's unwrap). The steps without a cipher (HKDF subkeys, the slots' key checks, fresh keys,
the associated-data labels) live in `subkeys`, on the standard library, and are re-exported
here.

`derive_key` is the single place scrypt runs (about 80 ms and 32 MiB): the GUI can call it
in a worker thread and hand the result to `Vault.open`. It and `KdfParams` live in `kdf`
(standard library only, so the key can be derived before this module loads) and are
re-exported here.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.vault.kdf import KEY_LEN, DerivedKey, KdfParams, derive_key
from app.vault.subkeys import new_key, slot_aad, subkey, token_aad

__all__ = [
    "KEY_LEN",
    "NONCE_LEN",
    "DerivedKey",
    "InvalidTag",
    "KdfParams",
    "TokenCipher",
    "derive_key",
    "new_key",
    "open_box",
    "seal",
    "slot_aad",
    "subkey",
    "token_aad",
]

NONCE_LEN = 12


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """nonce(12) || AES-GCM(key).encrypt(nonce, plaintext, aad), with a fresh nonce."""
    nonce = os.urandom(NONCE_LEN)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_box(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """The plaintext of a `seal` result; raises InvalidTag if anything does not match."""
    if len(blob) < NONCE_LEN + 16:
        raise InvalidTag()
    return AESGCM(key).decrypt(blob[:NONCE_LEN], blob[NONCE_LEN:], aad)


class TokenCipher:
    """Encrypts, decrypts and keys the lookup hash of token values under the data key."""

    __slots__ = ("_aead", "_lookup_key")

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != KEY_LEN:
            raise ValueError("the data key must be 32 bytes")
        self._aead = AESGCM(data_key)
        self._lookup_key = subkey(data_key, "ocpi-onboard/lookup/v1")

    def encrypt(self, value: str, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_LEN)
        return nonce + self._aead.encrypt(nonce, value.encode("utf-8", "surrogatepass"), aad)

    def decrypt(self, blob: bytes, aad: bytes) -> str:
        """The value; raises InvalidTag for a wrong row, a flipped byte or a wrong key."""
        if len(blob) < NONCE_LEN + 16:
            raise InvalidTag()
        plain = self._aead.decrypt(blob[:NONCE_LEN], blob[NONCE_LEN:], aad)
        return plain.decode("utf-8", "surrogatepass")

    def lookup(self, value: str) -> str:
        """HMAC-SHA256 of the value under the lookup subkey, hex: indexed for find_token."""
        data = value.encode("utf-8", "surrogatepass")
        return hmac.new(self._lookup_key, data, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "TokenCipher(<data key>)"
