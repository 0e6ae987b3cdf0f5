"""The rotation (PUT) machine as a table: (state, answer) -> (next state, next request,
diagnosis). Rows start from a machine brought to its state by real transitions.

With the token we present now (TOKEN_C as Sender): GET versions, GET details, issue a new
inbound token, PUT our credentials; the answer carries the partner's new token for us. A
401/405 to the PUT means the partner no longer knows us (reg.not_registered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from app.core.diagnosis import OnboardingError
from app.core.judging import Response
from app.core.rotation import UpdateState
from tests.core.scripted import (
    CURRENT_C,
    MISSING,
    NEW_B,
    OLD_B,
    ROTATED_C,
    THEIRS,
    answer,
    credentials_url,
    details,
    leaks,
    raw,
    spec,
    summary,
    their_credentials,
    transport,
    update_at,
    versions,
)

U = UpdateState
NEW, VF, DF, TS, PUT, UPD, FAILED = (
    U.NEW,
    U.VERSIONS_FETCHED,
    U.DETAILS_FETCHED,
    U.TOKEN_STORED,
    U.PUT_SENT,
    U.UPDATED,
    U.FAILED,
)
DONE_FAILED = ("finished", "failed")
DONE = ("finished", "updated")


@dataclass(frozen=True)
class Row:
    name: str
    state: UpdateState
    given: Response | OnboardingError
    state_after: UpdateState
    next: tuple[Any, ...]
    code: str | None = None
    warnings: tuple[str, ...] = ()
    version: str = "2.2.1"
    new_outbound: str | None = None


ROWS = [
    # NEW: GET their versions with the token we present now
    Row(
        "versions read",
        NEW,
        answer(versions("2.2.1")),
        VF,
        ("details", "GET", f"{THEIRS}/2.2.1", "C", "2.2.1"),
    ),
    Row(
        "upgrade to 2.3.0 when pinned",
        NEW,
        answer(versions("2.2.1", "2.3.0")),
        VF,
        ("details", "GET", f"{THEIRS}/2.3.0", "C", "2.3.0"),
        version="2.3.0",
    ),
    Row(
        "stay on 2.1.1 when pinned",
        NEW,
        answer(versions("2.1.1", "2.2.1")),
        VF,
        ("details", "GET", f"{THEIRS}/2.1.1", "C", "2.1.1"),
        version="2.1.1",
    ),
    Row(
        "pinned version gone",
        NEW,
        answer(versions("2.1.1")),
        FAILED,
        DONE_FAILED,
        "ocpi.no_mutual_version",
    ),
    Row(
        "spec versions example",
        NEW,
        answer(spec("2.2.1", "versions_info_example.json")),
        VF,
        ("details", "GET", "https://www.server.com/ocpi/2.2.1", "C", "2.2.1"),
    ),
    Row(
        "TOKEN_C refused on versions (401)",
        NEW,
        raw("", 401, None),
        FAILED,
        DONE_FAILED,
        "token.c_rejected",
    ),
    Row(
        "TOKEN_C refused on versions (403)",
        NEW,
        answer(None, 2000, 403),
        FAILED,
        DONE_FAILED,
        "token.c_rejected",
    ),
    Row(
        "2001 inside HTTP 200", NEW, answer(None, 2001), FAILED, DONE_FAILED, "ocpi.invalid_params"
    ),
    Row(
        "HTML page",
        NEW,
        raw("<html></html>", 200, "text/html"),
        FAILED,
        DONE_FAILED,
        "ocpi.html_page",
    ),
    Row("empty versions list", NEW, answer([]), FAILED, DONE_FAILED, "ocpi.versions_empty"),
    Row(
        "wrong envelope",
        NEW,
        raw('[{"version": "2.2.1", "url": "https://x.example/v"}]'),
        FAILED,
        DONE_FAILED,
        "ocpi.no_envelope",
    ),
    Row(
        "versions timeout",
        NEW,
        transport("net.timeout", "30 s"),
        FAILED,
        DONE_FAILED,
        "net.timeout",
    ),
    Row(
        "versions tolerated: no timestamp",
        NEW,
        answer(versions("2.2.1"), timestamp=MISSING),
        VF,
        ("details", "GET", f"{THEIRS}/2.2.1", "C", "2.2.1"),
        warnings=("ocpi.tolerated",),
    ),
    # VERSIONS_FETCHED: GET the details
    Row("details read", VF, answer(details("2.2.1")), DF, ("issue_token",)),
    Row(
        "missing credentials endpoint",
        VF,
        answer(details("2.2.1", "locations", credentials=False)),
        FAILED,
        DONE_FAILED,
        "ocpi.no_credentials_endpoint",
    ),
    Row(
        "empty endpoints list",
        VF,
        answer({"version": "2.2.1", "endpoints": []}),
        FAILED,
        DONE_FAILED,
        "ocpi.bad_data",
    ),
    Row(
        "TOKEN_C refused on details",
        VF,
        raw("", 401, None),
        FAILED,
        DONE_FAILED,
        "token.c_rejected",
    ),
    Row("details server error", VF, raw("", 502, None), FAILED, DONE_FAILED, "ocpi.server_error"),
    # PUT_SENT: the answer to our PUT
    Row(
        "new token for us",
        PUT,
        answer(their_credentials(ROTATED_C)),
        UPD,
        DONE,
        new_outbound=ROTATED_C,
    ),
    Row(
        "spec credentials example",
        PUT,
        answer(spec("2.2.1", "credentials_example.json")),
        UPD,
        DONE,
        new_outbound=spec("2.2.1", "credentials_example.json")["token"],
    ),
    Row(
        "2.1.1 flat answer",
        PUT,
        answer(their_credentials(ROTATED_C, "2.1.1")),
        UPD,
        DONE,
        version="2.1.1",
        new_outbound=ROTATED_C,
    ),
    Row(
        "2.3.0 answer with hub_party_id",
        PUT,
        answer(their_credentials(ROTATED_C, hub_party_id="NLHUB")),
        UPD,
        DONE,
        version="2.3.0",
        new_outbound=ROTATED_C,
    ),
    Row(
        "partner keeps its token",
        PUT,
        answer(their_credentials(CURRENT_C.reveal())),
        UPD,
        DONE,
        new_outbound=CURRENT_C.reveal(),
    ),
    Row(
        "answer echoes our new token",
        PUT,
        answer(their_credentials(NEW_B.reveal())),
        FAILED,
        DONE_FAILED,
        "token.c_equals_b",
    ),
    Row(
        "answer echoes our old token",
        PUT,
        answer(their_credentials(OLD_B.reveal())),
        FAILED,
        DONE_FAILED,
        "token.c_equals_b",
    ),
    Row(
        "token missing",
        PUT,
        answer({"url": "https://x.example/v"}),
        FAILED,
        DONE_FAILED,
        "token.c_invalid",
    ),
    Row("token empty", PUT, answer(their_credentials("")), FAILED, DONE_FAILED, "token.c_invalid"),
    Row(
        "token too long",
        PUT,
        answer(their_credentials("t" * 65)),
        FAILED,
        DONE_FAILED,
        "token.c_invalid",
    ),
    Row(
        "token with a space",
        PUT,
        answer(their_credentials("a b")),
        FAILED,
        DONE_FAILED,
        "token.c_invalid",
    ),
    Row("no data", PUT, answer(), FAILED, DONE_FAILED, "token.c_invalid"),
    Row(
        "roles missing (lenient)",
        PUT,
        answer({"token": ROTATED_C, "url": "https://x.example/v"}),
        UPD,
        DONE,
        warnings=("ocpi.tolerated",),
        new_outbound=ROTATED_C,
    ),
    Row(
        "401: not registered any more",
        PUT,
        raw("", 401, None),
        FAILED,
        DONE_FAILED,
        "reg.not_registered",
    ),
    Row(
        "403: not registered any more",
        PUT,
        answer(None, 2000, 403),
        FAILED,
        DONE_FAILED,
        "reg.not_registered",
    ),
    Row(
        "405: not registered any more",
        PUT,
        answer(None, 2000, 405),
        FAILED,
        DONE_FAILED,
        "reg.not_registered",
    ),
    Row(
        "2001 inside HTTP 200",
        PUT,
        answer(None, 2001, message="bad roles"),
        FAILED,
        DONE_FAILED,
        "ocpi.invalid_params",
    ),
    Row(
        "3001: they could not call us back",
        PUT,
        answer(None, 3001),
        FAILED,
        DONE_FAILED,
        "ocpi.callback_failed_3001",
    ),
    Row("500 on the PUT", PUT, raw("", 500, None), FAILED, DONE_FAILED, "ocpi.server_error"),
    Row("404 on the PUT", PUT, raw("no", 404, "text/plain"), FAILED, DONE_FAILED, "ocpi.not_found"),
    Row("malformed JSON", PUT, raw('{"token": '), FAILED, DONE_FAILED, "ocpi.not_json"),
    Row(
        "PUT timed out", PUT, transport("net.post_timeout"), FAILED, DONE_FAILED, "net.post_timeout"
    ),
    Row(
        "PUT redirected",
        PUT,
        transport("net.redirect_write", "PUT"),
        FAILED,
        DONE_FAILED,
        "net.redirect_write",
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.state}: {row.name}")
def test_update_row(row: Row) -> None:
    machine = update_at(row.state, row.version)
    warnings_before = len(machine.warnings)
    if isinstance(row.given, OnboardingError):
        feed: Any = machine.fail_with
    else:
        feed = machine.receive
    if row.state_after == FAILED:
        with pytest.raises(OnboardingError) as raised:
            feed(row.given)
        assert raised.value.diagnosis.code == row.code
    else:
        feed(row.given)
    assert machine.state == row.state_after
    assert summary(machine.next_action()) == row.next
    assert (machine.diagnosis.code if machine.diagnosis else None) == row.code
    assert [w.code for w in machine.warnings[warnings_before:]] == list(row.warnings)
    assert not leaks(machine.diagnosis)
    if row.new_outbound is not None:
        assert machine.new_outbound is not None
        assert machine.new_outbound.reveal() == row.new_outbound
        assert machine.new_outbound.role == CURRENT_C.role
    else:
        assert machine.new_outbound is None


@pytest.mark.parametrize(
    ("version", "keys"),
    [
        ("2.1.1", {"token", "url", "business_details", "party_id", "country_code"}),
        ("2.2.1", {"token", "url", "roles"}),
        ("2.3.0", {"token", "url", "roles"}),
    ],
)
def test_new_token_ready_asks_for_the_put_in_the_versions_shape(
    version: str, keys: set[str]
) -> None:
    machine = update_at(DF, version)
    machine.token_ready(NEW_B)
    assert machine.state == TS
    action = machine.next_action()
    assert summary(action)[:5] == ("rotate", "PUT", credentials_url(version), "C", version)
    body = getattr(action, "body", None)
    assert body is not None and set(body) == keys
    assert body["token"] == NEW_B.reveal() and body["url"] == "https://us.example.com/ocpi/versions"
    machine.put_sent()
    assert machine.state == PUT and summary(machine.next_action()) == ("finished", "put_sent")


def test_a_401_to_the_put_names_the_method() -> None:
    machine = update_at(PUT)
    with pytest.raises(OnboardingError) as raised:
        machine.receive(raw("", 401, None))
    assert "PUT" in raised.value.diagnosis.message and "401" in raised.value.diagnosis.message
