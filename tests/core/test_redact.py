"""Redaction: no token value in any form survives into a transcript entry."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from app.core.diagnosis import diagnose
from app.core.events import DiagnosisRaised
from app.core.redact import Redactor
from app.core.tokens import Secret, TokenRole, fingerprint, generate_token
from app.core.transcript import Transcript, iso_time


def test_secret_never_prints_its_value() -> None:
    value = generate_token()
    secret = Secret(value, TokenRole.B)
    for text in (str(secret), repr(secret), f"{secret}", f"{secret!r}", f"{secret}"):
        assert value not in text
    assert str(secret).startswith("B·")
    assert fingerprint(value, "B") == secret.fingerprint


def test_transcript_exchange_is_scrubbed_in_every_form() -> None:
    a, b = generate_token(), generate_token()
    transcript = Transcript("run", Redactor([Secret(a, TokenRole.A), Secret(b, TokenRole.B)]))
    b64 = base64.b64encode(a.encode()).decode()
    entry = transcript.add_exchange(
        direction="outbound",
        method="POST",
        url=f"https://p.example/ocpi/credentials?debug={a}",
        request_headers={
            "Authorization": f"Token {b64}",
            "Cookie": "session=secret",
            "X-Request-ID": "1",
        },
        request_body=json.dumps({"token": b, "url": "https://x/versions"}),
        status=200,
        response_headers={"Set-Cookie": "x=y", "Content-Type": "application/json"},
        response_body=json.dumps({"data": {"token": "their-new-token-c", "note": f"we saw {b}"}}),
        started=0.0,
        elapsed_ms=1.0,
    )
    text = json.dumps(entry)
    for secret in (a, b, b64, "their-new-token-c", "session=secret"):
        assert secret not in text
    assert entry["request"]["headers"]["Authorization"].startswith("Token <A·")
    assert "Cookie" not in entry["request"]["headers"]


def test_events_and_diagnoses_are_scrubbed() -> None:
    a = generate_token()
    transcript = Transcript("run", Redactor([Secret(a, TokenRole.A)]))
    entry = transcript.add_event(
        DiagnosisRaised(f"partner said {a}", diagnosis=diagnose("token.c_equals_b"))
    )
    assert a not in json.dumps(entry)
    assert entry["diagnosis"]["token_confusion"] is True


def test_body_json_text_matches_the_standard_library() -> None:
    """The one-pass indented writer gives exactly json.dumps(indent=2) of the redacted tree
    (transcripts must not change with it), tokens, odd numbers, nesting past the cap and
    non-ASCII text included."""
    a, b = generate_token(), generate_token()
    red = Redactor([Secret(a, TokenRole.A), Secret(b, TokenRole.B)])
    deep: object = "bottom"
    for _ in range(60):
        deep = {"d": [deep]}
    samples: list[object] = [
        {},
        [],
        {"token": b, "url": f"https://x/versions?t={a}", "roles": [{"role": "CPO"}]},
        {"data": {"token": "unknown-token-c", "nested": {"token": 5}}, "status_code": 1000},
        [1, -2, 3.25, 1e300, -0.0, 10**30, True, False, None, 'é ✓ \u2028 "q" \\ \n'],
        {"ünï": {"": []}, "x": [{}, [], [[]]], "inf": float("inf"), "nan": float("nan")},
        {"neg": float("-inf"), "list": [a, b, f"Token {a}"]},
        deep,
    ]
    # with secrets, without any (nothing to scrub), and with a short one (most texts long
    # enough to hold it)
    for redactor in (red, Redactor(), Redactor([Secret("abcd", TokenRole.C)])):
        for value in [*samples, {"k": "xabcdx", "l": ["abcd", "YWJjZA"]}]:
            expected = json.dumps(redactor.json(value), indent=2, ensure_ascii=False)
            assert redactor.json_text(value) == expected
    body = json.dumps({"token": b, "data": [1, 2.5, None]})
    assert b not in (red.body(body) or "")


def test_transcript_times_keep_their_format() -> None:
    """Entry times: milliseconds, truncated, with a Z (as strftime wrote them)."""
    for epoch in (0.0, 0.9999, 1_700_000_000.123456, 1_764_763_200.5, 4_102_444_799.999):
        expected = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        assert iso_time(epoch) == expected
