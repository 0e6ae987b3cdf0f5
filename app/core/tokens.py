"""Credentials tokens as secrets: generation, fingerprints and a wrapper that never prints.

A raw token must never reach a log, a transcript, an exception or stderr. `Secret` holds a
value whose repr/str are its fingerprint; `.reveal()` is the one way to read it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from enum import StrEnum

MAX_TOKEN_LENGTH = 64


class TokenRole(StrEnum):
    """Which token of the handshake: A (bootstrap), B (ours, inbound), C (theirs, outbound)."""

    A = "A"
    B = "B"
    C = "C"


def fingerprint(value: str, role: TokenRole | str | None = None) -> str:
    """A short stable hash that lets an eye follow a token without seeing it: ``B·3f9c2a``."""
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"{role}·{digest}" if role else f"?·{digest}"


def generate_token() -> str:
    """A fresh URL-safe token, 43 characters: inside OCPI's string(64) and U+0021..U+007E."""
    return secrets.token_urlsafe(32)


_TOKEN_TEXT = re.compile(rf"[\x21-\x7e]{{1,{MAX_TOKEN_LENGTH}}}")


def is_valid_token_text(value: str) -> bool:
    """Printable, non-whitespace ASCII (U+0021..U+007E), 1 to 64 characters (2.2.1-d2/2.3.0)."""
    return _TOKEN_TEXT.fullmatch(value) is not None


def tokens_equal(left: str, right: str) -> bool:
    """Constant-time comparison of two token values."""
    return hmac.compare_digest(
        left.encode("utf-8", "surrogatepass"), right.encode("utf-8", "surrogatepass")
    )


class Secret:
    """A token value that shows only its fingerprint when printed, logged or formatted."""

    __slots__ = ("_fingerprint", "_role", "_value")

    def __init__(self, value: str, role: TokenRole | str | None = None) -> None:
        self._value = value
        self._role = TokenRole(role) if role else None
        self._fingerprint: str | None = None  # a SHA-256 each time it is shown, else

    @property
    def role(self) -> TokenRole | None:
        return self._role

    @property
    def fingerprint(self) -> str:
        shown = self._fingerprint
        if shown is None:
            shown = self._fingerprint = fingerprint(self._value, self._role)
        return shown

    def reveal(self) -> str:
        """The raw value: only for the wire, the vault's encryption and explicit user reveal."""
        return self._value

    def with_role(self, role: TokenRole | str) -> Secret:
        return Secret(self._value, role)

    def __repr__(self) -> str:
        return f"Secret({self.fingerprint})"

    def __str__(self) -> str:
        return self.fingerprint

    def __format__(self, spec: str) -> str:
        return self.fingerprint

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and tokens_equal(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is not picklable")
