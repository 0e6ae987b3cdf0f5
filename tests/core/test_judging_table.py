"""How one HTTP status is judged in each step's context (app/core/judging.py).

The same 401 means "TOKEN_A rejected" on discovery, "TOKEN_C rejected" on a check and "not
registered" on a PUT or DELETE; the table is the one place that says so for every context.
"""

from __future__ import annotations

import pytest

from app.core.diagnosis import OnboardingError
from app.core.judging import Response, http_failure, judge, judge_in_context
from tests.core.scripted import answer, raw, versions

A_REJECTED, C_REJECTED, GONE = "token.a_rejected", "token.c_rejected", "reg.not_registered"
NOT_FOUND, SERVER = "ocpi.not_found", "ocpi.server_error"
# context -> {HTTP status (empty body) -> diagnosis code, None when the status alone says nothing}
EXPECTED: dict[str, dict[int, str | None]] = {
    "versions_a": {
        200: None,
        401: A_REJECTED,
        403: A_REJECTED,
        404: NOT_FOUND,
        405: None,
        500: SERVER,
        503: SERVER,
    },
    "details_a": {
        200: None,
        401: A_REJECTED,
        403: A_REJECTED,
        404: NOT_FOUND,
        405: None,
        500: SERVER,
        503: SERVER,
    },
    "post": {
        200: None,
        401: A_REJECTED,
        403: A_REJECTED,
        404: NOT_FOUND,
        405: "reg.already_registered",
        500: SERVER,
        503: SERVER,
    },
    "verify": {
        200: None,
        401: C_REJECTED,
        403: C_REJECTED,
        404: NOT_FOUND,
        405: None,
        500: SERVER,
        503: SERVER,
    },
    "check": {
        200: None,
        401: C_REJECTED,
        403: C_REJECTED,
        404: NOT_FOUND,
        405: None,
        500: SERVER,
        503: SERVER,
    },
    "rotate": {
        200: None,
        401: GONE,
        403: GONE,
        404: NOT_FOUND,
        405: GONE,
        500: SERVER,
        503: SERVER,
    },
    "unregister": {
        200: None,
        401: GONE,
        403: GONE,
        404: NOT_FOUND,
        405: GONE,
        500: SERVER,
        503: SERVER,
    },
}
ROWS = [
    (context, status, code)
    for context, by_status in EXPECTED.items()
    for status, code in by_status.items()
]


@pytest.mark.parametrize(("context", "status", "code"), ROWS)
def test_status_in_context(context: str, status: int, code: str | None) -> None:
    failure = http_failure(raw("", status, None), context)
    assert (failure.diagnosis.code if failure else None) == code


@pytest.mark.parametrize(("context", "method"), [("rotate", "PUT"), ("unregister", "DELETE")])
@pytest.mark.parametrize("status", [401, 405])
def test_not_registered_names_the_method(context: str, method: str, status: int) -> None:
    failure = http_failure(raw("", status, None), context)
    assert failure is not None
    assert f"HTTP {status} on {method}" in failure.diagnosis.message


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (answer(None, 3000, 503), "ocpi.status_error"),  # an OCPI error under 5xx speaks
        (answer(None, 3001, 500), "ocpi.callback_failed_3001"),
        (raw("<html>502</html>", 502, "text/html"), "ocpi.html_page"),
        (raw('{"oops": 1}', 500), SERVER),  # no envelope: the status speaks
        (answer(None, 2000, 404), "ocpi.status_error"),
        (raw('{"detail": "Not Found"}', 404), "ocpi.framework_error"),
    ],
)
def test_an_envelope_under_an_error_status_is_read(response: Response, code: str) -> None:
    failure = http_failure(response, "versions_a")
    assert failure is not None and failure.diagnosis.code == code


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (answer(versions("2.2.1")), None),
        (answer(versions("2.2.1"), 1999), None),
        (answer(None, 2001), "ocpi.invalid_params"),
        (answer(None, 3002), "ocpi.unsupported_version_3002"),
        (answer(None, 3003), "ocpi.missing_endpoints_3003"),
        (answer(None, 4001), "ocpi.status_error"),
        (answer(versions("2.2.1"), 1000, 418), "ocpi.http_error"),
    ],
)
def test_success_needs_both_http_and_ocpi(response: Response, code: str | None) -> None:
    if code is None:
        assert judge(response).ok
        assert judge_in_context(response, "verify").ok
        return
    with pytest.raises(OnboardingError) as raised:
        judge(response)
    assert raised.value.diagnosis.code == code


def test_a_status_message_cannot_break_a_log_line() -> None:
    with pytest.raises(OnboardingError) as raised:
        judge(answer(None, 2001, message="bad\nparty\x1b[31m id"))
    assert "\n" not in raised.value.diagnosis.message
    assert "\x1b" not in raised.value.diagnosis.message
