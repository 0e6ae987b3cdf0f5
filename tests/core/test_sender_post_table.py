"""The Sender table, the POST: the answer to our credentials (TOKEN_A is spent now).

(state CREDENTIALS_POSTED, answer) -> (next state, next request, diagnosis): the spec's
credentials examples per version, TOKEN_C = TOKEN_B, TOKEN_C = TOKEN_A, invalid tokens,
2001/3001/3002/3003 inside HTTP 200, 401, 405 already registered, lenient answers whose
spec breaks only warn (TOKEN_C is kept), timeouts that leave the outcome unknown.
"""

from __future__ import annotations

import pytest

from tests.core.scripted import (
    THEIR_VERSIONS_URL,
    TOKEN_A,
    TOKEN_B,
    TOKEN_C,
    answer,
    raw,
    spec,
    their_credentials,
    transport,
)
from tests.core.sender_rows import (
    CP,
    DONE_FAILED,
    FAILED,
    REG,
    Row,
    check,
    verify_versions,
)

# ---- CREDENTIALS_POSTED: the answer to our POST (TOKEN_A spent) ---------------------------
P = CP
SPEC_CREDENTIALS = [f"credentials_example{n}.json" for n in ("", "2", "3", "4")]
POST_ROWS = [
    Row(
        f"spec {version} {name}",
        P,
        answer(spec(version, name)),
        REG,
        verify_versions(spec(version, name)["url"]),
        after={"token_c": spec(version, name)["token"]},
    )
    for version in ("2.2.1", "2.3.0")
    for name in SPEC_CREDENTIALS
]
POST_ROWS += [
    Row(
        "2.1.1 flat credentials",
        P,
        answer(their_credentials(version="2.1.1")),
        REG,
        verify_versions(),
        setup={"version": "2.1.1"},
        after={"token_c": TOKEN_C},
    ),
    Row(
        "2.3.0 with hub_party_id",
        P,
        answer(their_credentials(hub_party_id="NLHUB")),
        REG,
        verify_versions(),
        setup={"version": "2.3.0"},
        after={"hub": "NLHUB"},
    ),
    Row(
        "their url moved",
        P,
        answer(their_credentials(url="https://moved.example/v")),
        REG,
        verify_versions("https://moved.example/v"),
    ),
    Row(
        "registered, no verification asked",
        P,
        answer(their_credentials()),
        REG,
        ("finished", "registered"),
        setup={"verify": False},
    ),
    Row(
        "TOKEN_C equals our TOKEN_B",
        P,
        answer(their_credentials(TOKEN_B.reveal())),
        FAILED,
        DONE_FAILED,
        "token.c_equals_b",
    ),
    Row(
        "TOKEN_C equals TOKEN_A",
        P,
        answer(their_credentials(TOKEN_A.reveal())),
        FAILED,
        DONE_FAILED,
        "token.c_equals_a",
    ),
    Row(
        "TOKEN_C missing",
        P,
        answer({k: v for k, v in their_credentials().items() if k != "token"}),
        FAILED,
        DONE_FAILED,
        "token.c_invalid",
    ),
    Row("TOKEN_C empty", P, answer(their_credentials("")), FAILED, DONE_FAILED, "token.c_invalid"),
    Row(
        "TOKEN_C a number",
        P,
        answer(their_credentials(12345)),
        FAILED,
        DONE_FAILED,
        "token.c_invalid",
    ),
    Row(
        "TOKEN_C 65 characters",
        P,
        answer(their_credentials("c" * 65)),
        FAILED,
        DONE_FAILED,
        "token.c_invalid",
    ),
    Row(
        "TOKEN_C 64 characters is fine",
        P,
        answer(their_credentials("c" * 64)),
        REG,
        verify_versions(),
        after={"token_c": "c" * 64},
    ),
    Row(
        "TOKEN_C with a space",
        P,
        answer(their_credentials("two words")),
        FAILED,
        DONE_FAILED,
        "token.c_invalid",
    ),
    Row(
        "TOKEN_C not ASCII",
        P,
        answer(their_credentials("tökén-ümlaut")),
        FAILED,
        DONE_FAILED,
        "token.c_invalid",
    ),
    Row(
        "credentials wrapped in a list",
        P,
        answer([their_credentials()]),
        REG,
        verify_versions(),
        warnings=("ocpi.tolerated",),
        after={"token_c": TOKEN_C},
    ),
    Row("no data in the answer", P, answer(), FAILED, DONE_FAILED, "ocpi.bad_data"),
    Row("data is a string", P, answer("registered"), FAILED, DONE_FAILED, "token.c_invalid"),
    Row(
        "roles missing (lenient: TOKEN_A spent)",
        P,
        answer({"token": TOKEN_C, "url": THEIR_VERSIONS_URL}),
        REG,
        verify_versions(),
        warnings=("reg.response_roles",),
        after={"token_c": TOKEN_C},
    ),
    Row(
        "4-letter party id (lenient)",
        P,
        answer(
            their_credentials(
                roles=[
                    {
                        "role": "CPO",
                        "party_id": "ABCD",
                        "country_code": "NL",
                        "business_details": {"name": "X"},
                    }
                ]
            )
        ),
        REG,
        verify_versions(),
        warnings=("reg.response_roles",),
    ),
    Row(
        "duplicate roles",
        P,
        answer(
            their_credentials(
                roles=[
                    {
                        "role": "CPO",
                        "party_id": "THR",
                        "country_code": "NL",
                        "business_details": {"name": "X"},
                    },
                    {
                        "role": "CPO",
                        "party_id": "THR",
                        "country_code": "NL",
                        "business_details": {"name": "X"},
                    },
                ]
            )
        ),
        REG,
        verify_versions(),
        warnings=("reg.response_roles",),
    ),
    Row(
        "relative url: ours kept",
        P,
        answer(their_credentials(url="/ocpi/versions")),
        REG,
        verify_versions(),
        warnings=("reg.response_roles",),
    ),
    Row(
        "status_code as a string",
        P,
        answer(their_credentials(), status_code="1000"),
        REG,
        verify_versions(),
        warnings=("ocpi.tolerated",),
    ),
    Row(
        "2001 inside HTTP 200",
        P,
        answer(None, 2001, message="party_id invalid"),
        FAILED,
        DONE_FAILED,
        "ocpi.invalid_params",
    ),
    Row(
        "3001: they could not call us back",
        P,
        answer(None, 3001),
        FAILED,
        DONE_FAILED,
        "ocpi.callback_failed_3001",
    ),
    Row(
        "3002: our version unsupported",
        P,
        answer(None, 3002),
        FAILED,
        DONE_FAILED,
        "ocpi.unsupported_version_3002",
    ),
    Row(
        "3003: our endpoints missing",
        P,
        answer(None, 3003),
        FAILED,
        DONE_FAILED,
        "ocpi.missing_endpoints_3003",
    ),
    Row("401 on the POST", P, raw("", 401, None), FAILED, DONE_FAILED, "token.a_rejected"),
    Row("403 on the POST", P, answer(None, 2000, 403), FAILED, DONE_FAILED, "token.a_rejected"),
    Row(
        "405: already registered",
        P,
        answer(None, 2000, 405),
        FAILED,
        DONE_FAILED,
        "reg.already_registered",
    ),
    Row(
        "500 on the POST",
        P,
        raw("oops", 500, "text/plain"),
        FAILED,
        DONE_FAILED,
        "ocpi.server_error",
    ),
    Row(
        "HTML page on the POST",
        P,
        raw("<html>maintenance</html>", 200, "text/html"),
        FAILED,
        DONE_FAILED,
        "ocpi.html_page",
    ),
    Row(
        "POST timed out", P, transport("net.post_timeout"), FAILED, DONE_FAILED, "net.post_timeout"
    ),
    Row(
        "connection reset during the POST",
        P,
        transport("net.reset"),
        FAILED,
        DONE_FAILED,
        "net.reset",
    ),
    Row(
        "POST redirected",
        P,
        transport("net.redirect_write", "POST"),
        FAILED,
        DONE_FAILED,
        "net.redirect_write",
    ),
]


@pytest.mark.parametrize("row", POST_ROWS, ids=lambda row: f"{row.state}: {row.name}")
def test_post_row(row: Row) -> None:
    check(row)
