"""Wire rules: header encoding, version negotiation, envelope parsing, text sanitising."""

from __future__ import annotations

import base64
import json

import pytest

from app.core.diagnosis import OnboardingError
from app.core.ocpi import (
    authorization_header,
    build_envelope,
    canonical_version,
    negotiate,
    parse_authorization,
    parse_envelope,
    parse_version,
    sanitize_text,
    uses_base64_header,
)


def test_base64_header_is_padded_standard_base64_without_newline() -> None:
    assert authorization_header("example-token", True) == "Token ZXhhbXBsZS10b2tlbg=="
    assert authorization_header("example-token", False) == "Token example-token"


@pytest.mark.parametrize(
    ("version", "expected"),
    [("2.1.1", False), ("2.1", False), ("2.2", True), ("2.2.1", True), ("2.3.0", True)],
)
def test_base64_applies_from_2_2(version: str, expected: bool) -> None:
    assert uses_base64_header(version) is expected


def test_parse_authorization_reads_both_schemes_and_the_spec_newline_example() -> None:
    token = parse_authorization("token ZXhhbXBsZS10b2tlbgo=")
    assert token is not None and token.scheme == "token" and token.decoded == "example-token"
    bearer = parse_authorization("Bearer abc")
    assert bearer is not None and bearer.scheme == "bearer" and bearer.raw == "abc"
    assert parse_authorization("Token") is None
    assert parse_authorization(None) is None


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["2.1.1", "2.2.1", "2.3.0"], "2.3.0"),
        (["2.1.1", "2.2.1"], "2.2.1"),
        (["2.0", "2.1"], "2.1"),
        (["2.1", "2.1.1"], "2.1.1"),
        (["v2.2.1", "9.9.9", "banana"], "v2.2.1"),
        (["2.2"], "2.2"),
        (["1.0", "3.0"], None),
        ([], None),
    ],
)
def test_negotiation_picks_highest_mutual(offered: list[str], chosen: str | None) -> None:
    assert negotiate(offered) == chosen


def test_version_parsing_tolerates_prefix_and_two_parts() -> None:
    assert parse_version("v2.2.1") == (2, 2, 1)
    assert parse_version("2.2") == (2, 2, 0)
    assert parse_version("two") is None
    assert canonical_version("2.1") == "2.1.1"


def test_envelope_round_trip_and_timestamp_shape() -> None:
    body = build_envelope({"x": 1})
    assert body["timestamp"].endswith("Z") and len(body["timestamp"]) <= 25
    env = parse_envelope(json.dumps(body).encode(), 200, "application/json")
    assert env.ok and env.data == {"x": 1}


@pytest.mark.parametrize(
    ("body", "ctype", "status", "code"),
    [
        (b"<!DOCTYPE html><html>login</html>", "text/html", 200, "ocpi.html_page"),
        (b"not json", "application/json", 200, "ocpi.not_json"),
        (b"", "application/json", 502, "ocpi.not_json"),
        (b'{"detail": "Not authenticated"}', "application/json", 401, "ocpi.framework_error"),
        (b'{"data": []}', "application/json", 200, "ocpi.no_envelope"),
        (b'{"status_code": "abc"}', "application/json", 200, "ocpi.no_envelope"),
        (b"[1,2]", "application/json", 200, "ocpi.no_envelope"),
        (b'{"status_code": NaN}', "application/json", 200, "ocpi.not_json"),
        (b"\xff\xfe", "application/json", 200, "ocpi.not_json"),
        (b"[" * 100000, "application/json", 200, "ocpi.not_json"),
    ],
)
def test_bad_envelopes_are_diagnosed(body: bytes, ctype: str, status: int, code: str) -> None:
    with pytest.raises(OnboardingError) as info:
        parse_envelope(body, status, ctype)
    assert info.value.diagnosis.code == code


def test_string_status_code_is_tolerated() -> None:
    env = parse_envelope(b'{"status_code": "1000", "data": []}', 200, None)
    assert env.status_code == 1000


def test_sanitize_removes_newlines_and_escapes() -> None:
    forged = "ok\n[info] Registered!\x1b[31m red \u2028"
    cleaned = sanitize_text(forged)
    assert "\n" not in cleaned and "\x1b" not in cleaned and "\u2028" not in cleaned
    assert len(sanitize_text("x" * 1000)) <= 300


def test_base64_roundtrip_of_non_trivial_token() -> None:
    token = "a-b_c~d!e"
    header = authorization_header(token, True)
    parsed = parse_authorization(header)
    assert parsed is not None and parsed.decoded == token
    assert base64.b64decode(parsed.raw).decode() == token
