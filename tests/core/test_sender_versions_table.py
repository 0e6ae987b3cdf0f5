"""The Sender table, first step: GET the partner's versions with TOKEN_A.

(state NEW, answer) -> (next state, next request, diagnosis). The answers are the spec's
examples and what partners really send: wrong envelope, 401/403 shapes, 2001 inside HTTP
200, HTML pages, broken JSON, missing or unknown versions, a pinned version they lack,
redirects and other transport failures.
"""

from __future__ import annotations

import json

import pytest

from tests.core.scripted import (
    MISSING,
    THEIRS,
    answer,
    details,
    raw,
    spec,
    transport,
    versions,
)
from tests.core.sender_rows import (
    DONE_FAILED,
    FAILED,
    NEW,
    VF,
    Row,
    check,
    details_get,
)

# ---- NEW: GET their versions with TOKEN_A ------------------------------------------------
NEW_ROWS = [
    Row(
        "spec 2.2.1 versions example",
        NEW,
        answer(spec("2.2.1", "versions_info_example.json")),
        VF,
        details_get("2.2.1", "https://www.server.com/ocpi/2.2.1"),
    ),
    Row(
        "spec 2.3.0 versions example",
        NEW,
        answer(spec("2.3.0", "versions_info_example.json")),
        VF,
        details_get("2.2.1", "https://www.server.com/ocpi/2.2.1"),
    ),
    Row(
        "spec envelope example: '2.2' read as 2.2.1",
        NEW,
        raw(json.dumps(spec("2.2.1", "transport_and_format_version_info_example.json"))),
        VF,
        ("details", "GET", "https://example.com/ocpi/cpo/2.2", "A", "2.2.1"),
    ),
    Row("only 2.1.1 offered", NEW, answer(versions("2.1.1")), VF, details_get("2.1.1")),
    Row(
        "highest mutual wins",
        NEW,
        answer(versions("2.1.1", "2.2.1", "2.3.0")),
        VF,
        details_get("2.3.0"),
    ),
    Row(
        "versions listed in any order",
        NEW,
        answer(versions("2.3.0", "2.1.1", "2.2.1")),
        VF,
        details_get("2.3.0"),
    ),
    Row(
        "pinned 2.2.1 among three",
        NEW,
        answer(versions("2.3.0", "2.2.1", "2.1.1")),
        VF,
        details_get("2.2.1"),
        setup={"preferred": "2.2.1"},
    ),
    Row(
        "pinned 2.1.1 among three",
        NEW,
        answer(versions("2.3.0", "2.2.1", "2.1.1")),
        VF,
        details_get("2.1.1"),
        setup={"preferred": "2.1.1"},
    ),
    Row(
        "pinned 2.3.0 not offered",
        NEW,
        answer(versions("2.2.1", "2.1.1")),
        FAILED,
        DONE_FAILED,
        "ocpi.no_mutual_version",
        setup={"preferred": "2.3.0"},
    ),
    Row(
        "pinned version we do not speak",
        NEW,
        answer(versions("2.2.1")),
        FAILED,
        DONE_FAILED,
        "input.version_unsupported",
        setup={"preferred": "9.9"},
    ),
    Row(
        "no version in common",
        NEW,
        answer(versions("2.0", "3.0")),
        FAILED,
        DONE_FAILED,
        "ocpi.no_mutual_version",
    ),
    Row(
        "'v' prefix tolerated",
        NEW,
        answer(versions("v2.2.1")),
        VF,
        ("details", "GET", f"{THEIRS}/v2.2.1", "A", "2.2.1"),
    ),
    Row(
        "'2.1' read as 2.1.1",
        NEW,
        answer(versions("2.1")),
        VF,
        ("details", "GET", f"{THEIRS}/2.1", "A", "2.1.1"),
    ),
    Row(
        "exact spelling beats its alias",
        NEW,
        answer(versions("2.1", "2.1.1")),
        VF,
        details_get("2.1.1"),
    ),
    Row(
        "missing versions: empty list", NEW, answer([]), FAILED, DONE_FAILED, "ocpi.versions_empty"
    ),
    Row("missing versions: no data", NEW, answer(), FAILED, DONE_FAILED, "ocpi.bad_data"),
    Row(
        "versions data is an object",
        NEW,
        answer({"version": "2.2.1"}),
        FAILED,
        DONE_FAILED,
        "ocpi.bad_data",
    ),
    Row(
        "version details where versions were expected",
        NEW,
        answer(details("2.2.1")),
        FAILED,
        DONE_FAILED,
        "ocpi.versions_is_details",
    ),
    Row(
        "every entry unreadable",
        NEW,
        answer([{"version": "2.2.1", "url": "/relative"}]),
        FAILED,
        DONE_FAILED,
        "ocpi.versions_empty",
    ),
    Row(
        "one unreadable entry skipped",
        NEW,
        answer([*versions("2.2.1"), {"version": "2.1.1"}]),
        VF,
        details_get("2.2.1"),
        warnings=("ocpi.tolerated",),
    ),
    Row(
        "status_code as a string",
        NEW,
        answer(versions("2.2.1"), status_code="1000"),
        VF,
        details_get("2.2.1"),
        warnings=("ocpi.tolerated",),
    ),
    Row(
        "timestamp missing",
        NEW,
        answer(versions("2.2.1"), timestamp=MISSING),
        VF,
        details_get("2.2.1"),
        warnings=("ocpi.tolerated",),
    ),
    Row(
        "status_message not a string",
        NEW,
        answer(versions("2.2.1"), message=7),
        VF,
        details_get("2.2.1"),
        warnings=("ocpi.tolerated",),
    ),
    Row(
        "custom success code 1901",
        NEW,
        answer(versions("2.2.1"), status_code=1901),
        VF,
        details_get("2.2.1"),
    ),
    Row("HTTP 201 with 1000", NEW, answer(versions("2.2.1"), http=201), VF, details_get("2.2.1")),
    Row(
        "2001 inside HTTP 200",
        NEW,
        answer(versions("2.2.1"), status_code=2001),
        FAILED,
        DONE_FAILED,
        "ocpi.invalid_params",
    ),
    Row(
        "3001 inside HTTP 200",
        NEW,
        answer(None, status_code=3001),
        FAILED,
        DONE_FAILED,
        "ocpi.callback_failed_3001",
    ),
    Row(
        "2000 inside HTTP 200",
        NEW,
        answer(None, status_code=2000),
        FAILED,
        DONE_FAILED,
        "ocpi.status_error",
    ),
    Row("401 bare", NEW, raw("", 401, None), FAILED, DONE_FAILED, "token.a_rejected"),
    Row(
        "401 with an OCPI envelope",
        NEW,
        answer(None, 2000, 401),
        FAILED,
        DONE_FAILED,
        "token.a_rejected",
    ),
    Row(
        "401 as a FastAPI detail",
        NEW,
        raw('{"detail": "Not authenticated"}', 401),
        FAILED,
        DONE_FAILED,
        "token.a_rejected",
    ),
    Row(
        "403 forbidden",
        NEW,
        raw("Forbidden", 403, "text/plain"),
        FAILED,
        DONE_FAILED,
        "token.a_rejected",
    ),
    Row(
        "404 plain text",
        NEW,
        raw("Not Found", 404, "text/plain"),
        FAILED,
        DONE_FAILED,
        "ocpi.not_found",
    ),
    Row(
        "404 with an OCPI error envelope",
        NEW,
        answer(None, 2000, 404),
        FAILED,
        DONE_FAILED,
        "ocpi.status_error",
    ),
    Row(
        "400 carrying a success envelope",
        NEW,
        answer(versions("2.2.1"), 1000, 400),
        FAILED,
        DONE_FAILED,
        "ocpi.http_error",
    ),
    Row("500 empty body", NEW, raw("", 500, None), FAILED, DONE_FAILED, "ocpi.server_error"),
    Row(
        "503 with OCPI 3000", NEW, answer(None, 3000, 503), FAILED, DONE_FAILED, "ocpi.status_error"
    ),
    Row(
        "502 proxy HTML page",
        NEW,
        raw("<html><body>Bad gateway</body></html>", 502, "text/html"),
        FAILED,
        DONE_FAILED,
        "ocpi.html_page",
    ),
    Row(
        "HTML login page under 200",
        NEW,
        raw("<!DOCTYPE html><title>Login</title>", 200, "text/html; charset=utf-8"),
        FAILED,
        DONE_FAILED,
        "ocpi.html_page",
    ),
    Row(
        "HTML labelled as JSON",
        NEW,
        raw("<!doctype html><p>hi</p>"),
        FAILED,
        DONE_FAILED,
        "ocpi.html_page",
    ),
    Row("malformed JSON", NEW, raw('{"data": [{"version": '), FAILED, DONE_FAILED, "ocpi.not_json"),
    Row("empty body under 200", NEW, raw(""), FAILED, DONE_FAILED, "ocpi.not_json"),
    Row("invalid UTF-8", NEW, raw(b"\xff\xfe\xfa"), FAILED, DONE_FAILED, "ocpi.not_json"),
    Row("NaN is not JSON", NEW, raw('{"status_code": NaN}'), FAILED, DONE_FAILED, "ocpi.not_json"),
    Row(
        "wrong envelope: bare versions list",
        NEW,
        raw(json.dumps(spec("2.2.1", "versions_info_example.json"))),
        FAILED,
        DONE_FAILED,
        "ocpi.no_envelope",
    ),
    Row(
        "wrong envelope: object without status_code",
        NEW,
        raw('{"data": []}'),
        FAILED,
        DONE_FAILED,
        "ocpi.no_envelope",
    ),
    Row(
        "wrong envelope: status_code true",
        NEW,
        answer([], status_code=True),
        FAILED,
        DONE_FAILED,
        "ocpi.no_envelope",
    ),
    Row(
        "wrong envelope: status_code out of range",
        NEW,
        answer([], status_code=99999),
        FAILED,
        DONE_FAILED,
        "ocpi.no_envelope",
    ),
    Row(
        "framework validation error",
        NEW,
        raw('{"detail": [{"msg": "field required"}]}', 422),
        FAILED,
        DONE_FAILED,
        "ocpi.framework_error",
    ),
]

TRANSPORT_CODES = (
    "net.timeout",
    "net.connect",
    "net.dns",
    "net.tls",
    "net.reset",
    "net.body_too_large",
    "net.redirect_cross_origin",
    "net.redirect_loop",
    "net.redirect_downgrade",
    "net.client_cert_missing",
)
NEW_ROWS += [
    Row(f"transport {code}", NEW, transport(code, "x"), FAILED, DONE_FAILED, code)
    for code in TRANSPORT_CODES
]


@pytest.mark.parametrize("row", NEW_ROWS, ids=lambda row: f"{row.state}: {row.name}")
def test_versions_row(row: Row) -> None:
    check(row)
