"""The Sender table, the end: verification with TOKEN_C, and the inputs that are not
answers (TOKEN_B issued, the POST leaving).

A failed verification never undoes a registration: the machine stays REGISTERED, holds the
diagnosis and adds one `reg.verify_failed` warning, and asks for nothing more.
"""

from __future__ import annotations

import pytest

from app.core.diagnosis import (
    OnboardingError,
)
from app.core.handshake import SenderHandshake, SenderState
from tests.core.scripted import (
    MISSING,
    THEIR_VERSIONS_URL,
    TOKEN_A,
    TOKEN_B,
    answer,
    credentials_url,
    raw,
    sender_at,
    spec,
    summary,
    their_credentials,
    transport,
    versions,
)
from tests.core.sender_rows import (
    CP,
    DF,
    FAILED,
    ISSUE,
    NEW,
    REG,
    TBS,
    VER,
    VF,
    Row,
    check,
    verify_credentials,
)

# ---- REGISTERED: verification with TOKEN_C never undoes the registration ------------------
R = REG
VERIFY_ROWS = [
    Row("versions with TOKEN_C", R, answer(versions("2.2.1")), REG, verify_credentials()),
    Row(
        "versions with TOKEN_C at 2.1.1",
        R,
        answer(versions("2.1.1")),
        REG,
        verify_credentials("2.1.1"),
        setup={"version": "2.1.1"},
    ),
    Row(
        "TOKEN_C refused (401)",
        R,
        raw("", 401, None),
        REG,
        ("finished", "registered"),
        "token.c_rejected",
        ("reg.verify_failed",),
    ),
    Row(
        "TOKEN_C refused (403)",
        R,
        answer(None, 2000, 403),
        REG,
        ("finished", "registered"),
        "token.c_rejected",
        ("reg.verify_failed",),
    ),
    Row(
        "2001 inside HTTP 200",
        R,
        answer(None, 2001),
        REG,
        ("finished", "registered"),
        "ocpi.invalid_params",
        ("reg.verify_failed",),
    ),
    Row(
        "500 during verification",
        R,
        raw("", 500, None),
        REG,
        ("finished", "registered"),
        "ocpi.server_error",
        ("reg.verify_failed",),
    ),
    Row(
        "HTML during verification",
        R,
        raw("<html></html>", 200, "text/html"),
        REG,
        ("finished", "registered"),
        "ocpi.html_page",
        ("reg.verify_failed",),
    ),
    Row(
        "timeout during verification",
        R,
        transport("net.timeout", "30 s"),
        REG,
        ("finished", "registered"),
        "net.timeout",
        ("reg.verify_failed",),
    ),
    Row(
        "connection refused during verification",
        R,
        transport("net.connect", "h"),
        REG,
        ("finished", "registered"),
        "net.connect",
        ("reg.verify_failed",),
    ),
    Row(
        "credentials GET with TOKEN_C",
        R,
        answer(their_credentials()),
        VER,
        ("finished", "verified"),
        setup={"verified_versions": True},
    ),
    Row(
        "credentials GET tolerated",
        R,
        answer(their_credentials(), timestamp=MISSING),
        VER,
        ("finished", "verified"),
        warnings=("ocpi.tolerated",),
        setup={"verified_versions": True},
    ),
    Row(
        "credentials GET refused",
        R,
        raw("", 401, None),
        REG,
        ("finished", "registered"),
        "token.c_rejected",
        ("reg.verify_failed",),
        setup={"verified_versions": True},
    ),
    Row(
        "credentials GET times out",
        R,
        transport("net.timeout", "30 s"),
        REG,
        ("finished", "registered"),
        "net.timeout",
        ("reg.verify_failed",),
        setup={"verified_versions": True},
    ),
]


@pytest.mark.parametrize("row", VERIFY_ROWS, ids=lambda row: f"{row.state}: {row.name}")
def test_verify_row(row: Row) -> None:
    check(row)


# ---- inputs that are not answers: TOKEN_B issued, the POST leaving -----------------------
@pytest.mark.parametrize(
    ("version", "keys"),
    [
        ("2.1.1", {"token", "url", "business_details", "party_id", "country_code"}),
        ("2.2.1", {"token", "url", "roles"}),
        ("2.3.0", {"token", "url", "roles"}),
    ],
)
def test_token_b_ready_asks_for_the_post_in_the_versions_shape(
    version: str, keys: set[str]
) -> None:
    machine = sender_at(DF, version)
    machine.token_b_ready(TOKEN_B)
    assert machine.state == TBS and machine.token_b == TOKEN_B
    action = machine.next_action()
    assert summary(action) == ("post", "POST", credentials_url(version), "A", version)
    body = getattr(action, "body", None)
    assert body is not None and set(body) == keys
    assert (
        body["token"] == TOKEN_B.reveal() and body["url"] == "https://us.example.com/ocpi/versions"
    )


def test_token_b_equal_to_token_a_is_refused_before_anything_leaves() -> None:
    machine = sender_at(DF)
    with pytest.raises(OnboardingError) as raised:
        machine.token_b_ready(TOKEN_A)
    assert raised.value.diagnosis.code == "internal"
    assert machine.state == DF and machine.token_b is None
    assert summary(machine.next_action()) == ISSUE


def test_post_sent_marks_token_a_spent_and_waits_for_the_answer() -> None:
    machine = sender_at(TBS)
    assert machine.posted is False
    machine.post_sent()
    assert machine.state == CP and machine.posted is True
    assert summary(machine.next_action()) == ("finished", "credentials_posted")


@pytest.mark.parametrize(
    ("failure", "posted"),
    [(TBS, False), (CP, True)],
    ids=["failed before the POST", "failed after the POST"],
)
def test_posted_survives_the_failure(failure: SenderState, posted: bool) -> None:
    machine = sender_at(failure)
    if failure == TBS:
        machine = sender_at(VF)
        with pytest.raises(OnboardingError):
            machine.receive(raw("", 401, None))
    else:
        with pytest.raises(OnboardingError):
            machine.fail_with(transport("net.post_timeout"))
    assert machine.state == FAILED and machine.posted is posted


def test_a_whole_registration_from_the_spec_examples() -> None:
    """The happy path end to end, each answer a spec example: every request the machine
    asks for in order, ending VERIFIED with the example's TOKEN_C."""
    machine = SenderHandshake(THEIR_VERSIONS_URL, TOKEN_A, sender_at(NEW).us)
    seen = [summary(machine.next_action())]
    machine.receive(answer(spec("2.2.1", "versions_info_example.json")))
    seen.append(summary(machine.next_action()))
    machine.receive(answer(spec("2.2.1", "version_details_example.json")))
    seen.append(summary(machine.next_action()))
    machine.token_b_ready(TOKEN_B)
    seen.append(summary(machine.next_action()))
    machine.post_sent()
    example = spec("2.2.1", "credentials_example.json")
    machine.receive(answer(example))
    seen.append(summary(machine.next_action()))
    machine.receive(answer(spec("2.2.1", "versions_info_example.json")))
    seen.append(summary(machine.next_action()))
    machine.receive(answer(example))
    seen.append(summary(machine.next_action()))
    assert seen == [
        ("versions", "GET", THEIR_VERSIONS_URL, "A", None),
        ("details", "GET", "https://www.server.com/ocpi/2.2.1", "A", "2.2.1"),
        ISSUE,
        ("post", "POST", "https://example.com/ocpi/2.2/credentials", "A", "2.2.1"),
        ("verify", "GET", "https://example.com/ocpi/versions", "C", None),
        ("verify", "GET", "https://example.com/ocpi/2.2/credentials", "C", "2.2.1"),
        ("finished", "verified"),
    ]
    assert machine.token_c is not None and machine.token_c.reveal() == example["token"]
    assert machine.warnings == [] and machine.diagnosis is None
