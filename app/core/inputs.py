"""Checks of what a person types or pastes: the versions URL, TOKEN_A, our identity.

Each check returns diagnoses (errors and warnings) rather than raising, so the wizard can
show hints as the user types and the CLI can refuse before anything is sent.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from app.core.diagnosis import Diagnosis, Severity, diagnose
from app.core.http import is_loopback_host
from app.core.models import MAX_URL_LENGTH, ROLES_221
from app.core.ocpi import _b64_decode_token
from app.core.tokens import is_valid_token_text

_VERSION_TAIL = re.compile(r"/v?\d+\.\d+(\.\d+)?(/details)?/?$", re.IGNORECASE)


def errors(diagnoses: list[Diagnosis]) -> list[Diagnosis]:
    return [d for d in diagnoses if d.severity == Severity.ERROR]


def check_versions_url(url: str, allow_insecure: bool = False) -> list[Diagnosis]:
    found: list[Diagnosis] = []
    text = url.strip()
    if not text:
        return [diagnose("input.url_invalid")]
    if len(text) > MAX_URL_LENGTH:
        found.append(diagnose("input.url_too_long"))
    try:
        parts = urlsplit(text)
        _ = parts.port  # ValueError when out of range
    except ValueError:  # e.g. an unclosed IPv6 bracket: a hint for the user, not a crash
        return [diagnose("input.url_invalid")]
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in text:
        return [diagnose("input.url_invalid")]
    if (
        parts.scheme.lower() == "http"
        and not allow_insecure
        and not is_loopback_host(parts.hostname)
    ):
        found.append(diagnose("input.url_insecure"))
    if _VERSION_TAIL.search(parts.path):
        found.append(diagnose("input.version_details_url"))
    return found


def normalise_token_input(text: str) -> str:
    """What we send: surrounding whitespace (a pasted line break) is dropped, nothing else."""
    return text.strip()


_WHITESPACE = re.compile(r"\s")


def check_token(text: str) -> list[Diagnosis]:
    found: list[Diagnosis] = []
    stripped = text.strip()
    lowered = stripped.lower()
    for prefix in ("token ", "bearer "):
        if lowered.startswith(prefix):
            found.append(diagnose("input.token_prefix", prefix=stripped[: len(prefix) - 1]))
            return found
    if _WHITESPACE.search(stripped):  # what str.isspace calls whitespace, in one scan
        found.append(diagnose("input.token_whitespace"))
        return found
    if not is_valid_token_text(stripped):  # 1 to 64 characters, each U+0021..U+007E
        found.append(diagnose("input.token_invalid"))
        return found
    decoded = _b64_decode_token(stripped)
    if decoded is not None and stripped.endswith("=") and len(decoded) >= 8:
        found.append(diagnose("input.token_base64"))
    return found


def check_identity(country_code: str, party_id: str, roles: list[str]) -> list[Diagnosis]:
    problems = []
    if not re.fullmatch(r"[A-Za-z]{2}", country_code.strip()):
        problems.append("country code must be 2 letters")
    if not re.fullmatch(r"[A-Za-z0-9]{3}", party_id.strip()):
        problems.append("party id must be 3 letters or digits")
    if not roles:
        problems.append("at least one role is needed")
    unknown = [r for r in roles if r.upper() not in ROLES_221]
    if unknown:
        problems.append(f"unknown role {', '.join(unknown)}")
    return [diagnose("input.identity_invalid", "; ".join(problems))] if problems else []
