"""The passphrase -> key step (scrypt) and its parameters, without the cipher library.

Split out of `crypto` (issue 13, start-up): deriving the vault key from
OCPI_ONBOARD_PASSPHRASE starts before the window's modules load, and this module needs
only the standard library: `hashlib.scrypt` is OpenSSL's scrypt, the same function as
`cryptography`'s `Scrypt` with the same n, r, p and length, and like it runs without the
GIL. `cryptography` loads later, when the key unwraps something (AES-GCM, in `crypto`).
Parameters beyond what `hashlib` accepts (its memory cap is 2 GiB) take `cryptography`'s
scrypt. `crypto` re-exports everything here, so callers keep one place to look.
"""

from __future__ import annotations

import base64
import hashlib
import os
import unicodedata
from dataclasses import dataclass
from typing import Any

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
KEY_LEN = 32
SALT_LEN = 16

# Bounds accepted when params come from a file (a tampered file must not make us allocate
# gigabytes): n between 2**14 and 2**20, r <= 32, p <= 16.
_N_MIN, _N_MAX, _R_MAX, _P_MAX = 2**14, 2**20, 32, 16
# hashlib.scrypt's `maxmem` is a C int; OpenSSL allocates only what n, r and p need.
_HASHLIB_MAXMEM = 2**31 - 1


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


def _scrypt_memory(params: KdfParams) -> int:
    """What OpenSSL's scrypt allocates for `params` (its own check: B plus V)."""
    return 128 * params.r * params.p + 128 * params.r * (params.n + 2)


def scrypt(data: bytes, params: KdfParams) -> bytes:
    """scrypt(data) under `params`, KEY_LEN bytes: hashlib's, else cryptography's."""
    if hasattr(hashlib, "scrypt") and _scrypt_memory(params) < _HASHLIB_MAXMEM:
        return hashlib.scrypt(
            data,
            salt=params.salt,
            n=params.n,
            r=params.r,
            p=params.p,
            maxmem=_HASHLIB_MAXMEM,
            dklen=KEY_LEN,
        )
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    kdf = Scrypt(salt=params.salt, length=KEY_LEN, n=params.n, r=params.r, p=params.p)
    return kdf.derive(data)


def derive_key(passphrase: str, params: KdfParams | None = None) -> DerivedKey:
    """scrypt(passphrase) under `params` (fresh salt if None). Slow on purpose: ~80 ms.

    The passphrase is NFC-normalised so the same typed text derives the same key on every
    OS. Safe to call from a worker thread.
    """
    if not passphrase:
        raise ValueError("the passphrase is empty")
    params = (params or KdfParams.fresh()).validate()
    data = unicodedata.normalize("NFC", passphrase).encode("utf-8", "surrogatepass")
    return DerivedKey(scrypt(data, params), params)
