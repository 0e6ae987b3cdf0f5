"""OCPI wire rules shared by every version: envelope, status codes, Authorization header,
version numbers and negotiation, timestamps.

Pure functions, no I/O. Tolerant on input (real platforms deviate), strict on output.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.core.diagnosis import fail

V211 = "2.1.1"
V221 = "2.2.1"
V230 = "2.3.0"
SUPPORTED_VERSIONS: tuple[str, ...] = (V230, V221, V211)

# --- status codes -------------------------------------------------------------------------
SUCCESS = 1000
CLIENT_ERROR = 2000
INVALID_PARAMS = 2001
NOT_ENOUGH_INFO = 2002
SERVER_ERROR = 3000
UNABLE_TO_USE_CLIENT_API = 3001
UNSUPPORTED_VERSION = 3002
NO_MATCHING_ENDPOINTS = 3003


def is_success_code(code: int) -> bool:
    """1000 and the custom success range 1900-1999 (2.2+)."""
    return code == SUCCESS or 1900 <= code <= 1999


def uses_base64_header(version: str | None) -> bool:
    """2.2 and later put Base64 of the token in the header; 2.1.1 and earlier the raw token."""
    parsed = parse_version(version) if version else None
    return parsed is not None and parsed >= (2, 2)


def utc_timestamp() -> str:
    """An OCPI DateTime in UTC with 'Z' and millisecond precision (fits string(25))."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


# --- version numbers ----------------------------------------------------------------------
_VERSION_RE = re.compile(r"^\s*[vV]?(\d+)\.(\d+)(?:\.(\d+))?\s*$")


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """'2.2.1' -> (2, 2, 1); tolerates 'v2.2.1' and '2.2' -> (2, 2, 0); None if not a version."""
    if not isinstance(text, str):
        return None
    return _parse_version(text)


@functools.lru_cache(maxsize=256)  # a handshake reads the same few versions ~40 times
def _parse_version(text: str) -> tuple[int, int, int] | None:
    match = _VERSION_RE.match(text)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def canonical_version(text: str) -> str | None:
    """Map what a partner advertises to a version we implement, or None.

    '2.1' is read as 2.1.1 (ocpi/ocpi#143: partners often mean 2.1.1) and '2.2' as 2.2.1
    (2.2.1 is 2.2's errata release with the same wire format).
    """
    parsed = parse_version(text)
    if parsed is None:
        return None
    return _ALIASES.get(parsed)


_ALIASES = {(2, 1, 0): V211, (2, 1, 1): V211, (2, 2, 0): V221, (2, 2, 1): V221, (2, 3, 0): V230}


def negotiate(
    theirs: list[str], ours: tuple[str, ...] = SUPPORTED_VERSIONS, exact_preferred: bool = True
) -> str | None:
    """Pick the highest version both sides speak, as the partner spelled it; None if none.

    Returns the partner's own string (e.g. '2.2.1') so the matching URL can be looked up.
    Among aliases the exact spelling wins ('2.1.1' over '2.1').
    """
    best: tuple[tuple[int, int, int], int, str] | None = None
    for text in theirs:
        canonical = canonical_version(text)
        if canonical is None or canonical not in ours:
            continue
        parsed = parse_version(canonical)
        assert parsed is not None
        exact = 1 if (exact_preferred and text.strip().lstrip("vV") == canonical) else 0
        key = (parsed, exact, text)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


# --- Authorization header -----------------------------------------------------------------
def authorization_header(token: str, base64_encoded: bool) -> str:
    """`Token <value>`: Base64 of the UTF-8 token for 2.2+, raw for 2.1.1 (no newline, ever)."""
    if base64_encoded:
        return "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")
    return "Token " + token


@dataclass(frozen=True)
class PresentedToken:
    """What an Authorization header carried, with the readings a tolerant receiver tries."""

    scheme: str  # "token", "bearer" or the odd word seen
    raw: str  # the value exactly as sent after the scheme
    decoded: str | None  # Base64-decoded value, if the raw value is valid padded Base64 of ASCII


def parse_authorization(header: str | None) -> PresentedToken | None:
    """Split `Token xyz` / `Bearer xyz` (case-insensitive); None when absent or empty."""
    if not header:
        return None
    parts = header.strip().split(None, 1)
    if len(parts) != 2 or not parts[1].strip():
        return None
    scheme, value = parts[0].lower(), parts[1].strip()
    return PresentedToken(scheme, value, _b64_decode_token(value))


_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")


def _b64_decode_token(value: str) -> str | None:
    if len(value) % 4 or len(value) > 100:
        return None
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    decoded = decoded.rstrip("\n")  # the spec's own examples carry a trailing newline
    if not _PRINTABLE_ASCII.fullmatch(decoded):  # every character 0x21-0x7E, not empty
        return None
    return decoded


# --- envelope -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Envelope:
    """A parsed OCPI response envelope, with what was tolerated to read it.

    `deviations` name each departure from the spec that parsing forgave, quoting the
    partner's exact value, so it can be shown as a warning and sent back to them.
    """

    status_code: int
    status_message: str | None
    data: Any
    timestamp: str | None
    deviations: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return is_success_code(self.status_code)


STATUS_MESSAGES = {
    SUCCESS: "Success",
    CLIENT_ERROR: "Client error",
    INVALID_PARAMS: "Invalid or missing parameters",
    NOT_ENOUGH_INFO: "Not enough information",
    SERVER_ERROR: "Server error",
    UNABLE_TO_USE_CLIENT_API: "Unable to use the client's API",
    UNSUPPORTED_VERSION: "Unsupported version",
    NO_MATCHING_ENDPOINTS: "No matching endpoints or expected endpoints missing between parties",
}


def build_envelope(
    data: Any = None, status_code: int = SUCCESS, status_message: str | None = None
) -> dict[str, Any]:
    """The envelope we send: status_code, status_message and timestamp always (strict clients
    generated from typed models require all three), data left out when there is none
    (2.2.1-d2 advice). The keys come in the order of the spec's examples."""
    body: dict[str, Any] = {}
    if data is not None:
        body["data"] = data
    body["status_code"] = status_code
    body["status_message"] = status_message or STATUS_MESSAGES.get(
        status_code, STATUS_MESSAGES[SUCCESS] if is_success_code(status_code) else "Error"
    )
    body["timestamp"] = utc_timestamp()
    return body


def quote_value(value: Any, limit: int = 60) -> str:
    """A partner's JSON value exactly as sent (JSON spelling), cut for one line."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return sanitize_text(text, limit)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def loads_strict(text: bytes | str) -> Any:
    """json.loads that refuses NaN/Infinity (not JSON) and survives deep nesting as ValueError."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def parse_envelope(body: bytes, http_status: int, content_type: str | None) -> Envelope:
    """Read a partner's answer as an OCPI envelope or raise a diagnosed OnboardingError.

    Decides on both the HTTP status and the OCPI status_code (docs/ocpi-facts.md, fact 8):
    HTTP 200 can carry an OCPI error, and 4xx/5xx can carry an envelope.
    """
    text_type = (content_type or "").split(";")[0].strip().lower()
    stripped = body.lstrip()[:200].lower()
    if text_type == "text/html" or stripped.startswith((b"<!doctype html", b"<html")):
        raise fail("ocpi.html_page", str(http_status))
    try:
        payload = loads_strict(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise fail("ocpi.not_json", "invalid UTF-8") from exc
    except ValueError as exc:
        kind = "empty body" if not body.strip() else f"{len(body)} bytes, HTTP {http_status}"
        raise fail("ocpi.not_json", kind) from exc
    if not isinstance(payload, dict):
        raise fail("ocpi.no_envelope")
    code = payload.get("status_code")
    if code is None:
        if "detail" in payload or "errors" in payload or "error" in payload:
            raise fail("ocpi.framework_error", str(http_status))
        raise fail("ocpi.no_envelope")
    deviations: list[str] = []
    if isinstance(code, str) and code.strip().isdigit():
        deviations.append(f"status_code {quote_value(code)} is a string, not a number")
        code = int(code.strip())
    if isinstance(code, bool) or not isinstance(code, int) or not 1000 <= code <= 9999:
        raise fail("ocpi.no_envelope")
    message = payload.get("status_message")
    if message is not None and not isinstance(message, str):
        deviations.append(f"status_message {quote_value(message)} is not a string")
        message = str(message)
    timestamp = payload.get("timestamp")
    if timestamp is None:
        deviations.append("timestamp missing from the envelope")
    elif not isinstance(timestamp, str):
        deviations.append(f"timestamp {quote_value(timestamp)} is not a string")
    return Envelope(
        code,
        message,
        payload.get("data"),
        timestamp if isinstance(timestamp, str) else None,
        tuple(deviations),
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def sanitize_text(text: str | None, limit: int = 300) -> str:
    """A partner's free text made safe for one log line: no newlines or terminal escapes."""
    if not text:
        return ""
    cleaned = _CONTROL.sub(" ", text)
    cleaned = re.sub(r" {2,}", " ", cleaned).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
