"""Judging a partner's answer: envelope, HTTP and OCPI status, versions and details.

Pure functions over a `Response` (what the driver saw). The handshake machines
(`app.core.handshake`) and the engine's read-only checks (check, verify, recovery, modules)
share them, so one answer is judged the same way everywhere:
- Success needs both HTTP and OCPI success (HTTP 200 can carry 2001).
- The same HTTP status means different things by step (`http_failure`'s context): a 401 to
  TOKEN_A's GET is `token.a_rejected`, to a PUT `reg.not_registered`.
- Deviations parsing forgave become `ocpi.tolerated` warnings naming the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.diagnosis import Diagnosis, OnboardingError, diagnose, fail
from app.core.models import VersionDetails, parse_version_details, parse_versions
from app.core.ocpi import (
    INVALID_PARAMS,
    NO_MATCHING_ENDPOINTS,
    SUPPORTED_VERSIONS,
    UNABLE_TO_USE_CLIENT_API,
    UNSUPPORTED_VERSION,
    Envelope,
    canonical_version,
    negotiate,
    parse_envelope,
    sanitize_text,
)


@dataclass(frozen=True)
class Response:
    """What the driver saw: HTTP status, body bytes and content type."""

    status: int
    body: bytes
    content_type: str | None = None


def judge(response: Response) -> Envelope:
    """Parse the envelope and fail unless both HTTP and OCPI say success."""
    envelope = parse_envelope(response.body, response.status, response.content_type)
    if not envelope.ok:
        raise ocpi_status_failure(envelope)
    if response.status >= 400:
        raise fail("ocpi.http_error", str(response.status))
    return envelope


def tolerated(envelope: Envelope, step: str, extra: tuple[str, ...] = ()) -> list[Diagnosis]:
    """One warning per deviation parsing forgave, naming the step and the partner's value."""
    return [diagnose("ocpi.tolerated", f"{step}: {d}") for d in (*envelope.deviations, *extra)]


def versions_skipped(data: Any) -> tuple[str, ...]:
    """Entries of a versions list that could not be read (and were skipped)."""
    if not isinstance(data, list):
        return ()
    readable = 0
    for item in data:
        try:
            parse_versions([item])
            readable += 1
        except OnboardingError:
            continue
    skipped = len(data) - readable
    return (
        (f"{skipped} unreadable entr{'y' if skipped == 1 else 'ies'} skipped",) if skipped else ()
    )


def ocpi_status_failure(envelope: Envelope) -> OnboardingError:
    message = sanitize_text(envelope.status_message) or "no message"
    code = envelope.status_code
    if code == INVALID_PARAMS:
        return fail("ocpi.invalid_params", message)
    if code == UNABLE_TO_USE_CLIENT_API:
        return fail("ocpi.callback_failed_3001", message)
    if code == UNSUPPORTED_VERSION:
        return fail("ocpi.unsupported_version_3002", message)
    if code == NO_MATCHING_ENDPOINTS:
        return fail("ocpi.missing_endpoints_3003", message)
    return fail("ocpi.status_error", f"{code}: {message}")


def http_failure(response: Response, context: str) -> OnboardingError | None:
    """Diagnoses that depend on the HTTP status and on which step we were in."""
    status = response.status
    if status == 401 or status == 403:
        codes = {
            "versions_a": "token.a_rejected",
            "details_a": "token.a_rejected",
            "post": "token.a_rejected",
            "verify": "token.c_rejected",
            "rotate": "reg.not_registered",
            "unregister": "reg.not_registered",
            "check": "token.c_rejected",
        }
        code = codes.get(context)
        if code == "reg.not_registered":
            return fail(code, str(status), method="PUT" if context == "rotate" else "DELETE")
        if code:
            return fail(code, str(status))
    if status == 405:
        if context == "post":
            return fail("reg.already_registered")
        if context in ("rotate", "unregister"):
            return fail(
                "reg.not_registered", "405", method="PUT" if context == "rotate" else "DELETE"
            )
    if status >= 500:
        try:
            judge(response)
        except OnboardingError as exc:
            if exc.diagnosis.code.startswith("ocpi.") and exc.diagnosis.code not in (
                "ocpi.http_error",
                "ocpi.no_envelope",
                "ocpi.not_json",
            ):
                return exc
        return fail("ocpi.server_error", str(status))
    if status == 404:
        try:
            judge(response)
        except OnboardingError as exc:
            if exc.diagnosis.code in ("ocpi.not_json", "ocpi.no_envelope"):
                return fail("ocpi.not_found")
            return exc
    return None


def judge_in_context(response: Response, context: str) -> Envelope:
    failure = http_failure(response, context)
    if failure is not None:
        raise failure
    return judge(response)


def choose_version(data: Any, preferred: str | None) -> tuple[str, str, list[str]]:
    """Read a versions list and pick ours: (the partner's spelling, its URL, all offered).

    The highest mutual version, or exactly `preferred` when one is asked for.
    """
    versions = parse_versions(data)
    offered = [v.version for v in versions]
    if preferred:
        wanted = canonical_version(preferred)
        if wanted is None or wanted not in SUPPORTED_VERSIONS:
            raise fail("input.version_unsupported", sanitize_text(preferred, 20))
        chosen = negotiate(offered, (wanted,))
    else:
        chosen = negotiate(offered)
    if chosen is None:
        listed = ", ".join(sanitize_text(v, 20) for v in offered[:8])
        raise fail("ocpi.no_mutual_version", listed or "none")
    return chosen, next(v.url for v in versions if v.version == chosen), offered


def credentials_endpoint(
    data: Any, required_modules: tuple[str, ...] = ()
) -> tuple[VersionDetails, str]:
    """Read version details: the credentials URL, and 3003 if required modules are missing."""
    details = parse_version_details(data)
    endpoint = details.endpoint("credentials")
    if endpoint is None:
        raise fail("ocpi.no_credentials_endpoint")
    missing = [m for m in required_modules if details.endpoint(m) is None]
    if missing:
        raise fail("ocpi.missing_endpoints_3003", ", ".join(missing))
    return details, endpoint.url


def token_field(data: Any) -> Any:
    """The `token` of a credentials object, if the data is an object at all."""
    return data.get("token") if isinstance(data, dict) else None
