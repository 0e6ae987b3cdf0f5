"""Every cryptographic step of the vault, in one file so it can be reviewed at once.

Key hierarchy: a random 32-byte data key (DEK) encrypts each token value with AES-GCM under
a fresh nonce. The DEK is stored only wrapped (AES-GCM again) by a key-encryption key that
comes from a passphrase (scrypt) or from the OS keyring. Associated data names where each
ciphertext lives (partner, token role, row), so a ciphertext copied to another row fails to
decrypt instead of quietly yielding the wrong partner's token. A keyed hash of each value
(HMAC-SHA256 under a subkey of the DEK) lets the vault find a token without decrypting all.

`derive_key` is the single place scrypt runs (about 80 ms and 32 MiB): the GUI can call it
in a worker thread and hand the result to `Vault.open`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

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

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
KEY_LEN = 32
NONCE_LEN = 12
SALT_LEN = 16

# Bounds accepted when params come from a file (a tampered file must not make us allocate
# gigabytes): n between 2**14 and 2**20, r <= 32, p <= 16.
_N_MIN, _N_MAX, _R_MAX, _P_MAX = 2**14, 2**20, 32, 16


@dataclass(frozen=True)
class KdfParams:
    """scrypt salt and cost; stored beside what the derived key protects."""

    salt: bytes
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    @classmethod
    def fresh(cls) -> KdfParams:
        return cls(os.urandom(SALT_LEN))

    def validate(self) -> KdfParams:
        """Self if within sane bounds; ValueError otherwise."""
        n_ok = _N_MIN <= self.n <= _N_MAX and self.n & (self.n - 1) == 0
        if not (n_ok and 1 <= self.r <= _R_MAX and 1 <= self.p <= _P_MAX):
            raise ValueError("scrypt parameters out of range")
        if len(self.salt) < SALT_LEN:
            raise ValueError("scrypt salt too short")
        return self

    def to_json(self) -> dict[str, Any]:
        salt = base64.b64encode(self.salt).decode("ascii")
        return {"kdf": "scrypt", "salt": salt, "n": self.n, "r": self.r, "p": self.p}

    @classmethod
    def from_json(cls, data: object) -> KdfParams:
        """Parse and validate; ValueError on anything unexpected."""
        if not isinstance(data, dict) or data.get("kdf") != "scrypt":
            raise ValueError("not scrypt parameters")
        try:
            salt = base64.b64decode(str(data["salt"]), validate=True)
            n, r, p = (data[k] for k in ("n", "r", "p"))
        except (KeyError, ValueError) as exc:
            raise ValueError("bad scrypt parameters") from exc
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n, r, p)):
            raise ValueError("bad scrypt parameters")
        return cls(salt, n, r, p).validate()


class DerivedKey:
    """A passphrase-derived key with the params it was derived under; prints no key."""

    __slots__ = ("_key", "params")

    def __init__(self, key: bytes, params: KdfParams) -> None:
        self._key = key
        self.params = params

    @property
    def key(self) -> bytes:
        return self._key

    def __repr__(self) -> str:
        return f"DerivedKey(scrypt n={self.params.n} r={self.params.r} p={self.params.p})"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a DerivedKey is not picklable")


def derive_key(passphrase: str, params: KdfParams | None = None) -> DerivedKey:
    """scrypt(passphrase) under `params` (fresh salt if None). Slow on purpose: ~80 ms.

    The passphrase is NFC-normalised so the same typed text derives the same key on every
    OS. Safe to call from a worker thread.
    """
    if not passphrase:
        raise ValueError("the passphrase is empty")
    params = (params or KdfParams.fresh()).validate()
    kdf = Scrypt(salt=params.salt, length=KEY_LEN, n=params.n, r=params.r, p=params.p)
    data = unicodedata.normalize("NFC", passphrase).encode("utf-8", "surrogatepass")
    return DerivedKey(kdf.derive(data), params)


def new_key() -> bytes:
    """A fresh random 32-byte key (data key, keyring wrap key)."""
    return os.urandom(KEY_LEN)


def subkey(key: bytes, purpose: str) -> bytes:
    """An independent 32-byte key for `purpose`, derived from `key` with HKDF-SHA256."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_LEN, salt=None, info=purpose.encode())
    return hkdf.derive(key)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """nonce(12) || AES-GCM(key).encrypt(nonce, plaintext, aad), with a fresh nonce."""
    nonce = os.urandom(NONCE_LEN)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_box(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """The plaintext of a `seal` result; raises InvalidTag if anything does not match."""
    if len(blob) < NONCE_LEN + 16:
        raise InvalidTag()
    return AESGCM(key).decrypt(blob[:NONCE_LEN], blob[NONCE_LEN:], aad)


def slot_aad(kind: str, vault_id: str) -> bytes:
    """Associated data for a wrapped data key: the slot kind and the vault it belongs to."""
    return f"ocpi-onboard/keyslot/v1|{kind}|{vault_id}".encode()


def token_aad(partner_id: int, role: str, row_id: int) -> bytes:
    """Associated data for a token value: the partner, the token role and the row."""
    return f"ocpi-onboard/token/v1|{partner_id}|{role}|{row_id}".encode()


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
