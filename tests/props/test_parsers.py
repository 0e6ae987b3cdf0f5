"""Property tests of every parser that reads partner or user input.

Issue "Hostile partners", property-based tests: no unhandled exception (only a diagnosed
OnboardingError may leave a parser), no token echoed in a diagnosis, and redaction that never
lets a known token through. Example counts: conftest.py (200 by default, 10,000 in the
thorough profile).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from app.core.catalog import CATALOG
from app.core.diagnosis import Diagnosis, OnboardingError
from app.core.handshake import OurParty, SenderHandshake, SenderState
from app.core.inputs import check_token, check_versions_url
from app.core.judging import Response, http_failure, judge
from app.core.models import (
    credentials_from_wire,
    credentials_from_wire_lenient,
    parse_version_details,
    parse_versions,
)
from app.core.ocpi import (
    SUPPORTED_VERSIONS,
    authorization_header,
    canonical_version,
    negotiate,
    parse_authorization,
    parse_envelope,
    parse_version,
    sanitize_text,
)
from app.core.redact import Redactor
from app.core.rotation import UpdateHandshake
from app.core.tokens import Secret, TokenRole
from tests.props.strategies import (
    PLACEHOLDER,
    URLS,
    VERSION_TEXT,
    any_tokens,
    credentials_like,
    details_like,
    envelope_bodies,
    json_values,
    place,
    tokens,
    versions_like,
)

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# tokens that cannot be mistaken for fixed text: a letter and a digit, no English word
odd_tokens = tokens.filter(lambda t: any(c.isdigit() for c in t) and any(c.isalpha() for c in t))
content_types = (
    st.none()
    | st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "text/html",
            "TEXT/HTML; x",
            "text/plain",
            "",
        ]
    )
    | st.text(max_size=20)
)


def _forms(token: str) -> list[str]:
    raw = token.encode()
    return [
        token,
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ]


def assert_diagnosed(exc: OnboardingError, *secret: str) -> None:
    """A failure a person can read: a known code, one line, no token."""
    d: Diagnosis = exc.diagnosis
    assert d.code in CATALOG
    for text in (d.message, d.detail or "", str(exc)):
        for token in secret:
            for form in _forms(token):
                assert form not in text, (d.code, "token echoed")


# ---- envelope, header, versions ------------------------------------------------------
@given(
    body=envelope_bodies(), status=st.integers(min_value=100, max_value=599), ctype=content_types
)
def test_parse_envelope(count_example, body: bytes, status: int, ctype: str | None) -> None:  # type: ignore[no-untyped-def]
    count_example()
    try:
        envelope = parse_envelope(body, status, ctype)
    except OnboardingError as exc:
        assert_diagnosed(exc)
        return
    assert isinstance(envelope.status_code, int) and 1000 <= envelope.status_code <= 9999
    assert envelope.status_message is None or isinstance(envelope.status_message, str)


@given(
    body=envelope_bodies(),
    status=st.integers(min_value=100, max_value=599),
    ctype=content_types,
    context=st.sampled_from(
        ["versions_a", "details_a", "post", "verify", "rotate", "unregister", "check", "x"]
    ),
)
def test_judge_and_http_failure(
    count_example, body: bytes, status: int, ctype: str | None, context: str
) -> None:  # type: ignore[no-untyped-def]
    count_example()
    response = Response(status, body, ctype)
    failure = http_failure(response, context)
    if failure is not None:
        assert_diagnosed(failure)
    try:
        envelope = judge(response)
    except OnboardingError as exc:
        assert_diagnosed(exc)
        assert not CONTROL.search(exc.diagnosis.message)
        return
    assert envelope.ok and status < 400


@given(header=st.none() | st.text(max_size=120) | any_tokens.map(lambda t: "Token " + t))
def test_parse_authorization(count_example, header: str | None) -> None:  # type: ignore[no-untyped-def]
    count_example()
    presented = parse_authorization(header)
    if presented is None:
        return
    assert presented.raw and presented.raw == presented.raw.strip()
    assert presented.decoded is None or all(0x21 <= ord(c) <= 0x7E for c in presented.decoded)


@given(
    token=any_tokens.filter(lambda t: len(t) <= 64),
    b64=st.booleans(),
    scheme=st.sampled_from(["Token", "token", "Bearer"]),
)
def test_authorization_round_trip(count_example, token: str, b64: bool, scheme: str) -> None:  # type: ignore[no-untyped-def]
    """What we send is read back as the same token, raw or decoded."""
    count_example()
    header = authorization_header(token, b64).replace("Token", scheme, 1)
    presented = parse_authorization(header)
    assert presented is not None
    assert token in (presented.raw, presented.decoded)
    assert "\n" not in header and "  " not in header


@given(
    texts=st.lists(VERSION_TEXT, max_size=8), wanted=st.none() | st.sampled_from(SUPPORTED_VERSIONS)
)
def test_version_negotiation(count_example, texts: list[str], wanted: str | None) -> None:  # type: ignore[no-untyped-def]
    count_example()
    for text in texts:
        parsed = parse_version(text)
        assert parsed is None or all(isinstance(p, int) for p in parsed)
        canonical_version(text)
    chosen = negotiate(texts, (wanted,) if wanted else SUPPORTED_VERSIONS)
    if chosen is not None:
        assert chosen in texts
        assert canonical_version(chosen) in ((wanted,) if wanted else SUPPORTED_VERSIONS)
        # nothing better was on offer
        best = max(
            parse_version(canonical_version(t) or "") or (0, 0, 0)
            for t in texts
            if canonical_version(t) in ((wanted,) if wanted else SUPPORTED_VERSIONS)
        )
        assert parse_version(canonical_version(chosen)) == best


@given(data=versions_like())
def test_parse_versions(count_example, data: Any) -> None:  # type: ignore[no-untyped-def]
    count_example()
    try:
        versions = parse_versions(data)
    except OnboardingError as exc:
        assert_diagnosed(exc)
        return
    assert versions
    for version in versions:
        assert not CONTROL.search(version.version)
        assert (
            version.url.startswith(("http://", "https://", "HTTP", "Http", "hTTP"))
            or "://" in version.url
        )


@given(data=details_like())
def test_parse_version_details(count_example, data: Any) -> None:  # type: ignore[no-untyped-def]
    count_example()
    try:
        details = parse_version_details(data)
    except OnboardingError as exc:
        assert_diagnosed(exc)
        return
    assert details.endpoints
    details.endpoint("credentials")
    for endpoint in details.endpoints:
        assert not CONTROL.search(endpoint.identifier + (endpoint.role or "") + endpoint.url)


# ---- credentials ---------------------------------------------------------------------
_PLACED = st.sampled_from([PLACEHOLDER, f"http://127.0.0.1:9/{PLACEHOLDER}", PLACEHOLDER * 2])
_CREDENTIALS = credentials_like(token=_PLACED | any_tokens)


@st.composite
def credentials_with_token(draw: st.DrawFn) -> tuple[str, Any]:
    """Credentials-like data with one secret token placed in it (often as "token")."""
    token = draw(odd_tokens)
    return token, place(draw(_CREDENTIALS), token)


@given(
    case=credentials_with_token(),
    version=st.none() | st.sampled_from(["2.1.1", "2.2.1", "2.3.0", "x"]),
)
def test_credentials_from_wire(count_example, case: tuple[str, Any], version: str | None) -> None:  # type: ignore[no-untyped-def]
    count_example()
    token, data = case
    try:
        creds = credentials_from_wire(data, version)
    except OnboardingError as exc:
        assert_diagnosed(exc, token)
        return
    assert 0 < len(creds.token) <= 64 and creds.roles
    assert token not in repr(creds) and token not in str(creds)
    for role in creds.roles:
        assert not CONTROL.search((role.role or "") + role.business_details.name)


@given(case=credentials_with_token())
def test_credentials_from_wire_lenient(count_example, case: tuple[str, Any]) -> None:  # type: ignore[no-untyped-def]
    """The TOKEN_C-keeping path reads any dict whose token is valid, never raising, and what
    it keeps is printable."""
    count_example()
    token, data = case
    assume(isinstance(data, dict) and isinstance(data.get("token"), str))
    creds, problem = credentials_from_wire_lenient(data, "https://127.0.0.1:9/ocpi/versions")
    assert token not in problem
    assert creds.url
    for role in creds.roles:
        text = (role.role or "") + role.business_details.name + role.party_id + role.country_code
        assert not CONTROL.search(text), repr(text)


# ---- typed input -----------------------------------------------------------------------
@given(text=st.text(max_size=100) | any_tokens | any_tokens.map(lambda t: f" Bearer {t}\n"))
def test_check_token(count_example, text: str) -> None:  # type: ignore[no-untyped-def]
    count_example()
    found = check_token(text)
    assert all(d.code in CATALOG for d in found)
    stripped = text.strip()
    for d in found:  # never quoted back (unless the fixed wording happens to contain it)
        assert stripped not in d.message or stripped in CATALOG[d.code].message or len(stripped) < 8


@given(
    text=URLS | st.text(max_size=300) | tokens.map(lambda t: f"https://{t}/ocpi/versions"),
    insecure=st.booleans(),
)
def test_check_versions_url(count_example, text: str, insecure: bool) -> None:  # type: ignore[no-untyped-def]
    count_example()
    found = check_versions_url(text, insecure)
    assert all(d.code in CATALOG for d in found)
    stripped = text.strip()
    for d in found:  # never quoted back (unless the fixed wording happens to contain it)
        assert stripped not in d.message or stripped in CATALOG[d.code].message or len(stripped) < 8


# ---- redaction -------------------------------------------------------------------------
@st.composite
def text_with_token(draw: st.DrawFn) -> tuple[str, str, str]:
    token = draw(tokens)
    raw = token.encode()
    form = draw(
        st.sampled_from(
            [
                token,
                base64.b64encode(raw).decode(),
                base64.b64encode(raw).decode().rstrip("="),
                base64.urlsafe_b64encode(raw).decode().rstrip("="),
                base64.b64encode(raw + b"\n").decode(),
            ]
        )
    )
    prefix = draw(st.text(max_size=40))
    suffix = draw(st.text(max_size=40))
    return token, form, prefix + form + suffix + form


@given(case=text_with_token(), others=st.lists(tokens, max_size=3))
def test_redactor_text_never_lets_a_token_through(
    count_example, case: tuple[str, str, str], others: list[str]
) -> None:  # type: ignore[no-untyped-def]
    count_example()
    token, form, text = case
    redactor = Redactor([Secret(token, TokenRole.B), *(Secret(o, TokenRole.C) for o in others)])
    out = redactor.text(text)
    assert form not in out
    assert token not in out


@given(
    token=tokens,
    data=json_values(),
    key=st.sampled_from(["token", "url", "status_message", "x"]),
    cut=st.integers(min_value=0, max_value=400),
    known=st.booleans(),
)
def test_redactor_body_masks_tokens(
    count_example, token: str, data: Any, key: str, cut: int, known: bool
) -> None:  # type: ignore[no-untyped-def]
    """A token under "token" is masked whether known or not, in whole, cut or broken JSON;
    a known token is masked anywhere."""
    count_example()
    skeleton = json.dumps({"status_code": 1000, "data": {key: "", "other": data}}) + "}}garbage"
    assume(token not in skeleton)  # the token must not be part of the fixed text around it
    body = json.dumps({"status_code": 1000, "data": {key: token, "other": data}})
    redactor = Redactor([Secret(token, TokenRole.C)] if known else [])
    whole = redactor.body(body.encode()) or ""
    broken = redactor.body(body[: len(body) - cut % len(body)] + "}}garbage") or ""
    if known or key == "token":
        assert token not in whole
        assert token not in broken


@given(token=tokens, b64=st.booleans(), scheme=st.sampled_from(["Token", "Bearer", "token"]))
def test_redactor_headers(count_example, token: str, b64: bool, scheme: str) -> None:  # type: ignore[no-untyped-def]
    count_example()
    header = authorization_header(token, b64).replace("Token", scheme, 1)
    for known in (True, False):
        redactor = Redactor([Secret(token, TokenRole.A)] if known else [])
        out = redactor.headers(
            {"Authorization": header, "X-Custom": token, "Location": f"/x?t={token}"}
        )
        flat = " ".join(out.values())  # the values: a token may spell a header name
        assert (
            token not in out["Authorization"]
            and base64.b64encode(token.encode()).decode() not in out["Authorization"]
        )
        assert "X-Custom" not in out  # not a known-safe header
        if known:
            assert token not in flat


@given(text=st.text(max_size=500), limit=st.integers(min_value=2, max_value=400))
def test_sanitize_text(count_example, text: str, limit: int) -> None:  # type: ignore[no-untyped-def]
    count_example()
    out = sanitize_text(text, limit)
    assert not CONTROL.search(out) and "\n" not in out and "\r" not in out
    assert len(out) <= limit


# ---- the handshake machines as parsers of responses ------------------------------------
US = OurParty(
    [{"role": "EMSP", "party_id": "ONB", "country_code": "DE", "business_details": {"name": "Us"}}],
    "http://127.0.0.1:9/ocpi/versions",
)
TOKEN_A = Secret("A-prop-token-a-0123456789", TokenRole.A)
TOKEN_B = Secret("B-prop-token-b-0123456789", TokenRole.B)


def _machine_at(state: SenderState) -> SenderHandshake:
    machine = SenderHandshake("http://127.0.0.1:9/ocpi/versions", TOKEN_A, US)
    if state == SenderState.NEW:
        return machine
    machine.version = "2.2.1"
    machine._version_url = "http://127.0.0.1:9/ocpi/2.2.1"
    machine.state = SenderState.VERSIONS_FETCHED
    if state == SenderState.VERSIONS_FETCHED:
        return machine
    machine.credentials_url = "http://127.0.0.1:9/ocpi/2.2.1/credentials"
    machine.token_b = TOKEN_B
    machine.state = state
    return machine


_BY_STATE = {
    SenderState.NEW: versions_like(),
    SenderState.VERSIONS_FETCHED: details_like(),
    SenderState.CREDENTIALS_POSTED: credentials_like(),
    SenderState.REGISTERED: json_values(),
}
_BODIES = envelope_bodies()


@st.composite
def machine_responses(draw: st.DrawFn) -> tuple[SenderState, Response]:
    state = draw(
        st.sampled_from(
            [
                SenderState.NEW,
                SenderState.VERSIONS_FETCHED,
                SenderState.CREDENTIALS_POSTED,
                SenderState.REGISTERED,
            ]
        )
    )
    data = draw(_BY_STATE[state])
    status_code = draw(st.sampled_from([1000, 1000, 1000, 2001, 3001, 3002]) | st.integers(0, 9999))
    body = draw(st.just(json.dumps({"status_code": status_code, "data": data}).encode()) | _BODIES)
    http = draw(st.sampled_from([200, 200, 200, 201, 401, 403, 404, 405, 500, 503]))
    return state, Response(http, body, "application/json")


@given(case=machine_responses())
def test_sender_machine_judges_any_response(
    count_example, case: tuple[SenderState, Response]
) -> None:  # type: ignore[no-untyped-def]
    count_example()
    state, response = case
    machine = _machine_at(state)
    if state == SenderState.REGISTERED:
        machine.partner = None
    try:
        machine.receive(response)
    except OnboardingError as exc:
        assert_diagnosed(exc, TOKEN_A.reveal(), TOKEN_B.reveal())
        assert machine.state in (SenderState.FAILED, SenderState.REGISTERED)
        return
    assert machine.state != SenderState.FAILED
    if machine.token_c is not None:
        value = machine.token_c.reveal()
        assert value not in (TOKEN_A.reveal(), TOKEN_B.reveal()) and 0 < len(value) <= 64


@given(
    body=envelope_bodies()
    | credentials_like().map(lambda d: json.dumps({"status_code": 1000, "data": d}).encode()),
    http=st.sampled_from([200, 401, 405, 500]),
)
def test_update_machine_judges_any_put_answer(count_example, body: bytes, http: int) -> None:  # type: ignore[no-untyped-def]
    count_example()
    machine = UpdateHandshake(
        "http://127.0.0.1:9/v",
        Secret("C-current-0123456789", TokenRole.C),
        Secret("B-old-0123456789", TokenRole.B),
        US,
    )
    machine.version = "2.2.1"
    machine.credentials_url = "http://127.0.0.1:9/c"
    machine.new_inbound = Secret("B-new-0123456789", TokenRole.B)
    machine.state = machine.state.__class__("put_sent")
    try:
        machine.receive(Response(http, body, "application/json"))
    except OnboardingError as exc:
        assert_diagnosed(exc, "C-current-0123456789", "B-old-0123456789", "B-new-0123456789")
