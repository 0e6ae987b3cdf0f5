"""The Receiver machine as a table: (stage, input) -> (next state, next request, refusal).

A partner POSTs its credentials with the TOKEN_A we issued; before we answer, we GET their
versions and the posted version's details with their TOKEN_B. Every refusal is an OCPI
status under HTTP 200: 2001 (their credentials are bad), 3001 (their endpoints cannot be
used: 401, HTML, broken JSON, redirects, timeouts...), 3002 (no such version), 3003
(modules we require are missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from app.core.diagnosis import OnboardingError
from app.core.judging import Response
from app.core.receiving import ReceiverState, RegistrationRefused
from tests.core.scripted import (
    SENDER_B,
    THEIR_VERSIONS_URL,
    THEIRS,
    TOKEN_A,
    answer,
    details,
    leaks,
    posted_credentials,
    raw,
    receiver_at,
    spec,
    summary,
    transport,
    versions,
)

R = ReceiverState
REFUSED = ("finished", "failed")


def versions_get(url: str = THEIR_VERSIONS_URL, version: str = "2.2.1") -> tuple[Any, ...]:
    return ("callback_versions", "GET", url, "B", version)


def details_get(version: str = "2.2.1") -> tuple[Any, ...]:
    return ("callback_details", "GET", f"{THEIRS}/{version}", "B", version)


# ---- the POST: their credentials ----------------------------------------------------------
@dataclass(frozen=True)
class PostRow:
    name: str
    body: Any
    state_after: ReceiverState
    next: tuple[Any, ...]
    refusal: int | None = None
    version: str = "2.2.1"


SPEC_CREDENTIALS = [f"credentials_example{n}.json" for n in ("", "2", "3", "4")]
POST_ROWS = [
    PostRow(
        f"spec {version} {name}",
        spec(version, name),
        R.CREDENTIALS_RECEIVED,
        versions_get(spec(version, name)["url"], version),
        version=version,
    )
    for version in ("2.2.1", "2.3.0")
    for name in SPEC_CREDENTIALS
]
POST_ROWS += [
    PostRow(
        "2.1.1 flat credentials",
        posted_credentials("2.1.1"),
        R.CREDENTIALS_RECEIVED,
        versions_get(version="2.1.1"),
        version="2.1.1",
    ),
    PostRow(
        "roles shape on the 2.1.1 endpoint",
        posted_credentials("2.2.1"),
        R.CREDENTIALS_RECEIVED,
        versions_get(version="2.1.1"),
        version="2.1.1",
    ),
    PostRow(
        "2.3.0 with hub_party_id",
        posted_credentials(hub_party_id="NLHUB"),
        R.CREDENTIALS_RECEIVED,
        versions_get(version="2.3.0"),
        version="2.3.0",
    ),
    PostRow(
        "their TOKEN_B is our TOKEN_A",
        posted_credentials() | {"token": TOKEN_A.reveal()},
        R.FAILED,
        REFUSED,
        2001,
    ),
    PostRow(
        "token missing",
        {k: v for k, v in posted_credentials().items() if k != "token"},
        R.FAILED,
        REFUSED,
        2001,
    ),
    PostRow("token too long", posted_credentials() | {"token": "b" * 65}, R.FAILED, REFUSED, 2001),
    PostRow("token with a space", posted_credentials() | {"token": "b b"}, R.FAILED, REFUSED, 2001),
    PostRow("relative url", posted_credentials(url="/ocpi/versions"), R.FAILED, REFUSED, 2001),
    PostRow("no roles", posted_credentials(roles=[]), R.FAILED, REFUSED, 2001),
    PostRow(
        "4-letter party id",
        posted_credentials(
            roles=[
                {
                    "role": "CPO",
                    "party_id": "ABCD",
                    "country_code": "NL",
                    "business_details": {"name": "X"},
                }
            ]
        ),
        R.FAILED,
        REFUSED,
        2001,
    ),
    PostRow("not an object", [posted_credentials()], R.FAILED, REFUSED, 2001),
    PostRow(
        "business name missing",
        posted_credentials(
            roles=[{"role": "CPO", "party_id": "ABC", "country_code": "NL", "business_details": {}}]
        ),
        R.FAILED,
        REFUSED,
        2001,
    ),
]


@pytest.mark.parametrize("row", POST_ROWS, ids=lambda row: row.name)
def test_post_row(row: PostRow) -> None:
    machine = receiver_at("invited", row.version)
    if row.refusal is None:
        machine.receive_post(row.body, issued=TOKEN_A)
        assert machine.token_b is not None
        assert machine.token_b.reveal() == row.body["token"]
        assert str(machine.token_b.role) == "B"
        assert machine.refusal is None
    else:
        with pytest.raises(RegistrationRefused) as raised:
            machine.receive_post(row.body, issued=TOKEN_A)
        assert raised.value.status_code == row.refusal
        assert machine.refusal is raised.value
        assert machine.token_b is None
        assert TOKEN_A.reveal() not in raised.value.message
        assert SENDER_B not in raised.value.message
    assert machine.state == row.state_after
    assert summary(machine.next_action()) == row.next


def test_post_lowercase_identity_is_normalised() -> None:
    machine = receiver_at("invited")
    machine.receive_post(
        posted_credentials(
            roles=[
                {
                    "role": "CPO",
                    "party_id": "thr",
                    "country_code": "nl",
                    "business_details": {"name": "Their Platform"},
                }
            ]
        ),
        issued=TOKEN_A,
    )
    assert machine.partner is not None
    assert (machine.partner.roles[0].country_code, machine.partner.roles[0].party_id) == (
        "NL",
        "THR",
    )


# ---- the callback GETs with their TOKEN_B ------------------------------------------------
@dataclass(frozen=True)
class CallbackRow:
    name: str
    stage: str  # "post": their versions next; "versions": their details next
    given: Response | OnboardingError
    state_after: ReceiverState
    next: tuple[Any, ...]
    refusal: int | None = None
    code: str | None = None  # the diagnosis carried by the refusal
    version: str = "2.2.1"
    required: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


CR, PD, FAILED = R.CREDENTIALS_RECEIVED, R.PARTNER_DISCOVERED, R.FAILED
CALLBACK_ROWS = [
    CallbackRow(
        "their versions list", "post", answer(versions("2.1.1", "2.2.1")), CR, details_get()
    ),
    CallbackRow(
        "spec versions example",
        "post",
        answer(spec("2.2.1", "versions_info_example.json")),
        CR,
        ("callback_details", "GET", "https://www.server.com/ocpi/2.2.1", "B", "2.2.1"),
    ),
    CallbackRow(
        "'2.2' stands for the posted 2.2.1",
        "post",
        answer(versions("2.2")),
        CR,
        ("callback_details", "GET", f"{THEIRS}/2.2", "B", "2.2.1"),
    ),
    CallbackRow(
        "2.1.1 POST, 2.1.1 listed",
        "post",
        answer(versions("2.1.1", "2.2.1")),
        CR,
        details_get("2.1.1"),
        version="2.1.1",
    ),
    CallbackRow(
        "posted version not in their list: 3002",
        "post",
        answer(versions("2.2.1")),
        FAILED,
        REFUSED,
        3002,
        version="2.3.0",
    ),
    CallbackRow(
        "one unreadable entry",
        "post",
        answer([*versions("2.2.1"), {"version": "x"}]),
        CR,
        details_get(),
        warnings=("ocpi.tolerated",),
    ),
    CallbackRow(
        "empty versions list", "post", answer([]), FAILED, REFUSED, 3001, "ocpi.versions_empty"
    ),
    CallbackRow(
        "TOKEN_B refused (401)", "post", raw("", 401, None), FAILED, REFUSED, 3001, "ocpi.not_json"
    ),
    CallbackRow(
        "TOKEN_B refused (403) with an envelope",
        "post",
        answer(None, 2000, 403),
        FAILED,
        REFUSED,
        3001,
        "ocpi.status_error",
    ),
    CallbackRow(
        "HTML login page",
        "post",
        raw("<html>login</html>", 200, "text/html"),
        FAILED,
        REFUSED,
        3001,
        "ocpi.html_page",
    ),
    CallbackRow("malformed JSON", "post", raw("[{"), FAILED, REFUSED, 3001, "ocpi.not_json"),
    CallbackRow(
        "wrong envelope: bare list",
        "post",
        raw('[{"version": "2.2.1"}]'),
        FAILED,
        REFUSED,
        3001,
        "ocpi.no_envelope",
    ),
    CallbackRow(
        "2001 inside HTTP 200",
        "post",
        answer(None, 2001),
        FAILED,
        REFUSED,
        3001,
        "ocpi.invalid_params",
    ),
    CallbackRow(
        "a redirect answered",
        "post",
        answer(versions("2.2.1"), 1000, 302),
        FAILED,
        REFUSED,
        3001,
        "ocpi.http_error",
    ),
    CallbackRow(
        "server error, empty body",
        "post",
        raw("", 500, None),
        FAILED,
        REFUSED,
        3001,
        "ocpi.not_json",
    ),
    CallbackRow(
        "server error carrying a success envelope",
        "post",
        answer(versions("2.2.1"), 1000, 500),
        FAILED,
        REFUSED,
        3001,
        "ocpi.http_error",
    ),
    CallbackRow(
        "timeout", "post", transport("net.timeout", "10 s"), FAILED, REFUSED, 3001, "net.timeout"
    ),
    CallbackRow(
        "redirect to another origin refused",
        "post",
        transport("net.redirect_cross_origin", "https://elsewhere.example"),
        FAILED,
        REFUSED,
        3001,
        "net.redirect_cross_origin",
    ),
    CallbackRow(
        "TLS refused", "post", transport("net.tls", "self-signed"), FAILED, REFUSED, 3001, "net.tls"
    ),
    CallbackRow(
        "their details",
        "versions",
        answer(details("2.2.1", "locations")),
        PD,
        ("finished", "partner_discovered"),
    ),
    CallbackRow(
        "spec details example",
        "versions",
        answer(spec("2.2.1", "version_details_example2.json")),
        PD,
        ("finished", "partner_discovered"),
    ),
    CallbackRow(
        "required modules present",
        "versions",
        answer(details("2.2.1", "locations", "tokens")),
        PD,
        ("finished", "partner_discovered"),
        required=("locations", "tokens"),
    ),
    CallbackRow(
        "required module missing: 3003",
        "versions",
        answer(details("2.2.1", "locations")),
        FAILED,
        REFUSED,
        3003,
        required=("locations", "tokens"),
    ),
    CallbackRow(
        "empty endpoints list",
        "versions",
        answer({"version": "2.2.1", "endpoints": []}),
        FAILED,
        REFUSED,
        3001,
        "ocpi.bad_data",
    ),
    CallbackRow(
        "details are a list",
        "versions",
        answer(versions("2.2.1")),
        FAILED,
        REFUSED,
        3001,
        "ocpi.bad_data",
    ),
    CallbackRow(
        "details refused (401)",
        "versions",
        raw("", 401, None),
        FAILED,
        REFUSED,
        3001,
        "ocpi.not_json",
    ),
    CallbackRow(
        "details time out",
        "versions",
        transport("net.timeout", "10 s"),
        FAILED,
        REFUSED,
        3001,
        "net.timeout",
    ),
    CallbackRow(
        "details without timestamp",
        "versions",
        answer(details("2.2.1"), timestamp=None),
        PD,
        ("finished", "partner_discovered"),
        warnings=("ocpi.tolerated",),
    ),
]


@pytest.mark.parametrize("row", CALLBACK_ROWS, ids=lambda row: f"{row.stage}: {row.name}")
def test_callback_row(row: CallbackRow) -> None:
    machine = receiver_at(row.stage, row.version, row.required)
    warnings_before = len(machine.warnings)
    if isinstance(row.given, OnboardingError):
        feed: Any = machine.fail_with
    else:
        feed = machine.receive
    if row.refusal is None:
        feed(row.given)
        assert machine.refusal is None
    else:
        with pytest.raises(RegistrationRefused) as raised:
            feed(row.given)
        refused = raised.value
        assert refused.status_code == row.refusal
        assert machine.refusal is refused
        assert (refused.diagnosis.code if refused.diagnosis else None) == row.code
        assert not leaks(refused.diagnosis)
        assert SENDER_B not in refused.message
    assert machine.state == row.state_after
    assert summary(machine.next_action()) == row.next
    assert [w.code for w in machine.warnings[warnings_before:]] == list(row.warnings)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_callback_says_token_b_was_rejected(status: int) -> None:
    machine = receiver_at("post")
    with pytest.raises(RegistrationRefused) as raised:
        machine.receive(raw("", status, None))
    assert raised.value.message == f"your endpoint rejected TOKEN_B (HTTP {status})"


def test_registered_after_discovery_finishes_the_machine() -> None:
    machine = receiver_at("discovered")
    assert machine.details is not None and machine.details.endpoint("credentials") is not None
    machine.registered()
    assert machine.state == R.REGISTERED
    assert summary(machine.next_action()) == ("finished", "registered")
