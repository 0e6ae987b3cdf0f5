"""The Sender table, second step: GET the chosen version's details with TOKEN_A.

(state VERSIONS_FETCHED, answer) -> (next state, next request, diagnosis): the credentials
endpoint found or missing, an empty endpoints list, modules we require, a details version
that differs from the negotiated one (the 2.3.0 spec example still says 2.2).
"""

from __future__ import annotations

import json

import pytest

from tests.core.scripted import (
    MISSING,
    answer,
    credentials_url,
    details,
    raw,
    spec,
    transport,
    versions,
)
from tests.core.sender_rows import (
    DF,
    DONE_FAILED,
    FAILED,
    ISSUE,
    VF,
    Row,
    check,
)

# ---- VERSIONS_FETCHED: GET the details of the chosen version with TOKEN_A ------------------
V = VF
DETAILS_ROWS = [
    Row(
        "spec details example ('2.2')",
        V,
        answer(spec("2.2.1", "version_details_example.json")),
        DF,
        ISSUE,
        after={"credentials_url": "https://example.com/ocpi/2.2/credentials"},
    ),
    Row(
        "spec details example 2 (credentials as RECEIVER)",
        V,
        answer(spec("2.2.1", "version_details_example2.json")),
        DF,
        ISSUE,
        after={"credentials_url": "https://example.com/ocpi/2.2/credentials"},
    ),
    Row(
        "spec details envelope example",
        V,
        raw(json.dumps(spec("2.2.1", "transport_and_format_version_details_example.json"))),
        DF,
        ISSUE,
        after={"credentials_url": "https://example.com/ocpi/cpo/2.2/credentials"},
    ),
    Row(
        "2.3.0 negotiated, the 2.3.0 example still says 2.2",
        V,
        answer(spec("2.3.0", "version_details_example.json")),
        DF,
        ISSUE,
        warnings=("ocpi.details_version_mismatch",),
        setup={"version": "2.3.0"},
    ),
    Row(
        "2.1.1 details without roles",
        V,
        answer(
            {
                "version": "2.1.1",
                "endpoints": [{"identifier": "credentials", "url": credentials_url("2.1.1")}],
            }
        ),
        DF,
        ISSUE,
        setup={"version": "2.1.1"},
        after={"credentials_url": credentials_url("2.1.1")},
    ),
    Row(
        "details name another version",
        V,
        answer(details("2.1.1")),
        DF,
        ISSUE,
        warnings=("ocpi.details_version_mismatch",),
        after={"credentials_url": credentials_url("2.1.1")},
    ),
    Row(
        "missing credentials endpoint",
        V,
        answer(details("2.2.1", "locations", credentials=False)),
        FAILED,
        DONE_FAILED,
        "ocpi.no_credentials_endpoint",
    ),
    Row(
        "empty endpoints list",
        V,
        answer({"version": "2.2.1", "endpoints": []}),
        FAILED,
        DONE_FAILED,
        "ocpi.bad_data",
    ),
    Row(
        "endpoint with a relative URL",
        V,
        answer(
            {
                "version": "2.2.1",
                "endpoints": [
                    {"identifier": "credentials", "role": "RECEIVER", "url": "/ocpi/credentials"}
                ],
            }
        ),
        FAILED,
        DONE_FAILED,
        "ocpi.bad_data",
    ),
    Row(
        "details without a version",
        V,
        answer({"endpoints": details("2.2.1")["endpoints"]}),
        FAILED,
        DONE_FAILED,
        "ocpi.bad_data",
    ),
    Row(
        "the versions list again",
        V,
        answer(versions("2.2.1")),
        FAILED,
        DONE_FAILED,
        "ocpi.bad_data",
    ),
    Row(
        "required module missing: 3003 ourselves",
        V,
        answer(details("2.2.1", "locations")),
        FAILED,
        DONE_FAILED,
        "ocpi.missing_endpoints_3003",
        setup={"required": ("locations", "tokens")},
    ),
    Row(
        "required modules present",
        V,
        answer(details("2.2.1", "locations", "tokens")),
        DF,
        ISSUE,
        setup={"required": ("locations", "tokens")},
    ),
    Row(
        "unknown modules tolerated",
        V,
        answer(details("2.2.1", "x-custom", "chargingprofiles")),
        DF,
        ISSUE,
        after={"credentials_url": credentials_url("2.2.1")},
    ),
    Row(
        "identifier case ignored",
        V,
        answer(
            {
                "version": "2.2.1",
                "endpoints": [
                    {
                        "identifier": "Credentials",
                        "role": "RECEIVER",
                        "url": credentials_url("2.2.1"),
                    }
                ],
            }
        ),
        DF,
        ISSUE,
    ),
    Row(
        "no timestamp in details",
        V,
        answer(details("2.2.1"), timestamp=MISSING),
        DF,
        ISSUE,
        warnings=("ocpi.tolerated",),
    ),
    Row("401 on details", V, raw("", 401, None), FAILED, DONE_FAILED, "token.a_rejected"),
    Row(
        "404 JSON without envelope",
        V,
        raw('{"message": "no such version"}', 404),
        FAILED,
        DONE_FAILED,
        "ocpi.not_found",
    ),
    Row(
        "2001 inside HTTP 200",
        V,
        answer(details("2.2.1"), 2001),
        FAILED,
        DONE_FAILED,
        "ocpi.invalid_params",
    ),
    Row(
        "3003 inside HTTP 200",
        V,
        answer(None, 3003),
        FAILED,
        DONE_FAILED,
        "ocpi.missing_endpoints_3003",
    ),
    Row(
        "3002 inside HTTP 200",
        V,
        answer(None, 3002),
        FAILED,
        DONE_FAILED,
        "ocpi.unsupported_version_3002",
    ),
    Row("malformed JSON", V, raw("{"), FAILED, DONE_FAILED, "ocpi.not_json"),
    Row("timeout", V, transport("net.timeout", "30 s"), FAILED, DONE_FAILED, "net.timeout"),
]


@pytest.mark.parametrize("row", DETAILS_ROWS, ids=lambda row: f"{row.state}: {row.name}")
def test_details_row(row: Row) -> None:
    check(row)
