"""Redaction: no token value in any form survives into a transcript entry."""

from __future__ import annotations

import base64
import json

from app.core.diagnosis import diagnose
from app.core.events import DiagnosisRaised
from app.core.redact import Redactor
from app.core.tokens import Secret, TokenRole, fingerprint, generate_token
from app.core.transcript import Transcript


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
