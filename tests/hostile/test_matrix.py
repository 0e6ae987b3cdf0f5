"""The hostile-partner matrix: each scenario a real loopback partner misbehaving one way.

Issues "Handshake engine" (section "Bad input") and "Hostile partners and faults". Every
scenario ends in a diagnosis with a stable code, in bounded time, with no traceback, no
token (raw or Base64) in any output, and the vault consistent (`harness.assert_sound`).
The table in docs/reliability.md lists the same ids; `SCENARIOS` is the source.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from app.core.ocpi import build_envelope
from app.vault import Vault
from tests.hostile.harness import (
    ESCAPES,
    HOSTILE_HTTP,
    Outcome,
    Partner,
    RawAction,
    assert_sound,
    drip,
    hang,
    head,
    reset,
    sender_run,
)
from tests.support.aio import run
from tests.support.servers import ocpi, raw

Handler = Callable[[web.Request], Any]


# ---- handler factories -----------------------------------------------------------------
def endless(chunk: int = 64 * 1024) -> Handler:
    """A body that never ends (chunked, as fast as the client reads)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        await response.prepare(request)
        block = b"[" * chunk
        try:
            while True:
                await response.write(block)
        except (ConnectionError, RuntimeError):
            return response

    return handler


def huge(size: int) -> Handler:
    """A body of `size` bytes with a true Content-Length (20 MB in the matrix)."""
    body = b'{"status_code": 1000, "data": "' + b"x" * size + b'"}'
    return raw(body)


def redirect(to: Callable[[], str], status: int = 302) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": to()})

    return handler


def versions_of(p: Partner, *entries: tuple[str, str]) -> Handler:
    return ocpi([{"version": v, "url": p.server.url(path)} for v, path in entries])


def at_versions(make: Callable[[Partner], Handler]) -> Callable[[Partner], None]:
    def script(p: Partner) -> None:
        p.standard(p.credentials_reply())
        p.server.on("GET", "/ocpi/versions", make(p))

    return script


def at_details(make: Callable[[Partner], Handler]) -> Callable[[Partner], None]:
    def script(p: Partner) -> None:
        p.standard(p.credentials_reply())
        p.server.on("GET", f"/ocpi/{p.version}", make(p))

    return script


def at_post(make: Callable[[Partner], Handler]) -> Callable[[Partner], None]:
    def script(p: Partner) -> None:
        p.standard()
        p.server.on("POST", p.credentials_path, make(p))

    return script


def posting_to_raw(p: Partner) -> None:
    """Versions and details are fine; the credentials endpoint is the raw TCP partner."""
    assert p.raw is not None
    p.standard()
    details = {
        "version": p.version,
        "endpoints": [{"identifier": "credentials", "role": "RECEIVER", "url": p.raw.url("/cred")}],
    }
    p.server.on("GET", f"/ocpi/{p.version}", ocpi(details))


def raw_versions(p: Partner) -> str:
    assert p.raw is not None
    return p.raw.url("/ocpi/versions")


# ---- raw TCP actions ------------------------------------------------------------------
def truncated() -> RawAction:
    async def action(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(head(length=4000) + b'{"status_code": 1000, "data": [{"version": "2.2.1", "u')
        await writer.drain()
        writer.close()

    return action


def reset_mid_body() -> RawAction:
    async def action(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(head(length=4000) + b'{"status_code": 1000, "data": {"token": "')
        await writer.drain()
        await asyncio.sleep(0.05)
        reset(writer)

    return action


def other_protocol() -> RawAction:
    async def action(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\x00\x00\x01\x14garbage\r\n\r\n")
        await writer.drain()
        writer.close()

    return action


def trickled_head() -> RawAction:
    """A slowloris in reverse: the status line, then one header byte every 0.2 s, forever."""

    async def action(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not writer.is_closing():
            writer.write(b"a")
            await writer.drain()
            await asyncio.sleep(0.2)

    return action


def giant_header() -> RawAction:
    async def action(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200_000 + b"\r\nContent-Length: 2\r\n\r\n{}"
        )
        await writer.drain()
        writer.close()

    return action


# ---- the matrix ------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    script: Callable[[Partner], None]
    code: str | None
    registered: bool = False
    post_succeeded: bool | None = None
    outcome: str | None = "failed"
    raw: RawAction | None = None
    versions_url: Callable[[Partner], str] | None = None
    check: Callable[[Outcome], None] | None = None
    max_seconds: float = 8.0


def only_one_request(outcome: Outcome) -> None:
    assert len(outcome.partner.server.seen) == 1, [s.path for s in outcome.partner.server.seen]


def one_post(outcome: Outcome) -> None:
    posts = [s for s in outcome.partner.server.seen if s.method == "POST"]
    assert len(posts) == 1, "a POST must never be repeated"


def other_origin_untouched(outcome: Outcome) -> None:
    assert outcome.partner.other is not None
    assert outcome.partner.other.seen == [], "the token must never reach another origin"


def no_post(outcome: Outcome) -> None:
    assert not [s for s in outcome.partner.server.seen if s.method == "POST"], "no POST expected"


def a_used_in_callback(outcome: Outcome) -> None:
    assert outcome.partner.callback_status and set(outcome.partner.callback_status) == {401}
    codes = [e["diagnosis"]["code"] for e in outcome.transcript if e.get("diagnosis")]
    assert "token.a_used_in_callback" in codes, codes


def redirect_warned(outcome: Outcome) -> None:
    warnings = [e.message for e in outcome.events if "redirected" in e.message]
    assert len(warnings) == 3, warnings


def c_of(value: str) -> Callable[[Partner], Handler]:
    return lambda p: p.credentials_reply(value)


def _deep(depth: int) -> bytes:
    return b'{"status_code": 1000, "data": ' + b"[" * depth + b"]" * depth + b"}"


SCENARIOS: list[Scenario] = [
    # --- not OCPI at all --------------------------------------------------------------
    Scenario(
        "not-json",
        "versions answer plain text",
        at_versions(lambda p: raw("hello", content_type="text/plain")),
        "ocpi.not_json",
    ),
    Scenario(
        "json-no-envelope",
        "versions answer a bare JSON array (no envelope)",
        at_versions(
            lambda p: raw(json.dumps([{"version": "2.2.1", "url": p.server.url("/ocpi/2.2.1")}]))
        ),
        "ocpi.no_envelope",
    ),
    Scenario(
        "status-code-string",
        "status_code is a word, not a number",
        at_versions(lambda p: raw('{"status_code": "ok", "data": []}')),
        "ocpi.no_envelope",
    ),
    Scenario(
        "http200-ocpi-error",
        "HTTP 200 carrying OCPI 3000 on versions",
        at_versions(lambda p: ocpi(None, 3000, message="maintenance")),
        "ocpi.status_error",
    ),
    Scenario(
        "http404-no-envelope",
        "HTTP 404 plain text on versions",
        at_versions(lambda p: raw("Not Found", status=404, content_type="text/plain")),
        "ocpi.not_found",
    ),
    Scenario(
        "http400-envelope",
        "HTTP 400 with an OCPI 2001 envelope on the POST",
        at_post(
            lambda p: p.credentials_reply(
                data=None, status_code=2001, http_status=400, message="roles missing"
            )
        ),
        "ocpi.invalid_params",
    ),
    Scenario(
        "http500-no-envelope",
        "HTTP 500 plain text on versions (one request, no retry)",
        at_versions(lambda p: raw("Internal Server Error", status=500, content_type="text/plain")),
        "ocpi.server_error",
        check=only_one_request,
    ),
    Scenario(
        "http503-envelope-post",
        "HTTP 503 with an OCPI 3000 envelope on the POST",
        at_post(
            lambda p: p.credentials_reply(
                data=None, status_code=3000, http_status=503, message="busy"
            )
        ),
        "ocpi.status_error",
        check=one_post,
    ),
    Scenario(
        "500-storm",
        "every route answers HTTP 500: one request, no retry storm",
        lambda p: [
            p.server.on("*", path, raw("boom", status=500, content_type="text/plain"))
            for path in ("/ocpi/versions", "/ocpi/2.2.1", "/ocpi/2.2.1/credentials")
        ],
        "ocpi.server_error",
        check=only_one_request,
    ),
    Scenario(
        "html-error-page",
        "HTTP 502 HTML page from a proxy",
        at_versions(
            lambda p: raw(
                "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", 502, "text/html"
            )
        ),
        "ocpi.html_page",
    ),
    Scenario(
        "html-login-page",
        "HTTP 200 HTML login page labelled application/json",
        at_versions(lambda p: raw("<html><form action=/login><input name=password></form></html>")),
        "ocpi.html_page",
    ),
    Scenario(
        "framework-error",
        "HTTP 422 framework validation error JSON",
        at_versions(
            lambda p: raw('{"detail": [{"loc": ["header"], "msg": "field required"}]}', 422)
        ),
        "ocpi.framework_error",
    ),
    # --- broken JSON ------------------------------------------------------------------
    Scenario(
        "invalid-utf8",
        "versions body with invalid UTF-8",
        at_versions(lambda p: raw(b'{"status_code": 1000, "data": "\xff\xfe\xfa"}')),
        "ocpi.not_json",
    ),
    Scenario(
        "nan",
        "NaN inside the envelope (not JSON)",
        at_versions(lambda p: raw('{"status_code": 1000, "data": [], "x": NaN}')),
        "ocpi.not_json",
    ),
    Scenario(
        "duplicate-keys",
        "duplicate status_code keys (1000 then 2001): the last one counts",
        at_versions(lambda p: raw('{"status_code": 1000, "status_code": 2001, "data": []}')),
        "ocpi.invalid_params",
    ),
    Scenario(
        "deep-nesting",
        "100,000 nested arrays in the details",
        at_details(lambda p: raw(_deep(100_000))),
        "ocpi.not_json",
        check=no_post,
    ),
    Scenario(
        "truncated-body",
        "Content-Length 4000, 60 bytes, then close",
        lambda p: None,
        "net.reset",
        raw=truncated(),
        versions_url=lambda p: p.raw.url("/ocpi/versions"),
    ),  # type: ignore[union-attr]
    Scenario(
        "reset-mid-response",
        "connection reset (RST) mid-body on versions",
        lambda p: None,
        "net.reset",
        raw=reset_mid_body(),
        versions_url=lambda p: p.raw.url("/ocpi/versions"),
    ),  # type: ignore[union-attr]
    Scenario(
        "reset-mid-post",
        "connection reset mid-answer to the POST: outcome unknown",
        posting_to_raw,
        "net.post_timeout",
        raw=reset_mid_body(),
        outcome="interrupted",
    ),
    Scenario(
        "other-protocol",
        "the port speaks SSH, not HTTP",
        lambda p: None,
        "net.reset",
        raw=other_protocol(),
        versions_url=lambda p: p.raw.url("/ocpi/versions"),
    ),  # type: ignore[union-attr]
    Scenario(
        "giant-header",
        "a 200 KB response header",
        lambda p: None,
        "net.reset",
        raw=giant_header(),
        versions_url=lambda p: p.raw.url("/ocpi/versions"),
    ),  # type: ignore[union-attr]
    # --- size and time ------------------------------------------------------------------
    Scenario(
        "body-20mb",
        "a 20 MB versions body (cap 1 MiB)",
        at_versions(lambda p: huge(20 * 1024 * 1024)),
        "net.body_too_large",
    ),
    Scenario(
        "body-endless",
        "an endless chunked body",
        at_versions(lambda p: endless()),
        "net.body_too_large",
    ),
    Scenario(
        "gzip-bomb",
        "20 MB of zeros gzipped to 20 KB",
        at_versions(
            lambda p: raw(
                gzip.compress(b"0" * 20 * 1024 * 1024), headers={"Content-Encoding": "gzip"}
            )
        ),
        "net.body_too_large",
    ),
    Scenario("never-answers", "versions never answer", at_versions(hang), "net.timeout"),
    Scenario("trickle", "details trickle one byte every 0.1 s", at_details(drip), "net.timeout"),
    Scenario(
        "trickled-head",
        "the response head trickles a byte every 0.2 s",
        lambda p: None,
        "net.timeout",
        raw=trickled_head(),
        versions_url=lambda p: p.raw.url("/ocpi/versions"),
    ),  # type: ignore[union-attr]
    Scenario(
        "post-never-answers",
        "the POST is never answered: outcome unknown, no retry",
        at_post(hang),
        "net.post_timeout",
        outcome="interrupted",
        check=one_post,
    ),
    # --- redirects --------------------------------------------------------------------
    Scenario(
        "redirect-same-origin-3",
        "3 same-origin GET redirects: followed, warned",
        lambda p: (
            p.standard(p.credentials_reply()),
            p.server.on("GET", "/v0", redirect(lambda: p.server.url("/v1"))),
            p.server.on("GET", "/v1", redirect(lambda: "/v2", 301)),
            p.server.on("GET", "/v2", redirect(lambda: p.server.url("/ocpi/versions"), 307)),
        ),
        None,
        registered=True,
        outcome="succeeded",
        versions_url=lambda p: p.server.url("/v0"),
        check=redirect_warned,
    ),
    Scenario(
        "redirect-loop",
        "4 same-origin redirects (a loop)",
        lambda p: p.server.on("GET", "/ocpi/versions", redirect(lambda: "/ocpi/versions")),
        "net.redirect_loop",
    ),
    Scenario(
        "redirect-cross-origin",
        "versions redirect to another origin: refused, token never sent there",
        lambda p: (
            p.standard(),
            p.server.on("GET", "/ocpi/versions", redirect(lambda: p.other.url("/ocpi/versions"))),
        ),  # type: ignore[union-attr]
        "net.redirect_cross_origin",
        check=other_origin_untouched,
    ),
    Scenario(
        "redirect-cross-origin-details",
        "details redirect to another origin",
        at_details(lambda p: redirect(lambda: p.other.url("/steal"))),  # type: ignore[union-attr]
        "net.redirect_cross_origin",
        check=other_origin_untouched,
    ),
    Scenario(
        "redirect-post",
        "the POST answered 307 (same origin): never followed",
        at_post(lambda p: redirect(lambda: p.server.url("/elsewhere"), 307)),
        "net.redirect_write",
        check=lambda o: (one_post(o), _not_hit(o, "/elsewhere")),
    ),
    Scenario(
        "redirect-bad-location",
        "a redirect to an unparsable Location (port 99999)",
        at_versions(lambda p: redirect(lambda: "http://127.0.0.1:99999/x")),
        "net.redirect_cross_origin",
    ),
    # --- versions and details -----------------------------------------------------------
    Scenario(
        "no-mutual-version",
        "versions 1.9 and 3.0 only: no POST",
        at_versions(lambda p: versions_of(p, ("1.9", "/ocpi/1.9"), ("3.0", "/ocpi/3.0"))),
        "ocpi.no_mutual_version",
        check=no_post,
    ),
    Scenario(
        "no-mutual-version-escapes",
        "version strings carrying newlines and terminal escapes",
        at_versions(lambda p: versions_of(p, ("9.9" + ESCAPES, "/ocpi/x"))),
        "ocpi.no_mutual_version",
    ),
    Scenario(
        "version-v-prefix",
        "version string 'v2.2.1' is read as 2.2.1",
        lambda p: (
            p.standard(p.credentials_reply()),
            p.server.on("GET", "/ocpi/versions", versions_of(p, ("v2.2.1", "/ocpi/2.2.1"))),
        ),
        None,
        registered=True,
        outcome="succeeded",
    ),
    Scenario(
        "versions-empty",
        "an empty versions list",
        at_versions(lambda p: ocpi([])),
        "ocpi.versions_empty",
    ),
    Scenario(
        "versions-is-details",
        "the versions URL answers version details",
        at_versions(lambda p: ocpi({"version": "2.2.1", "endpoints": []})),
        "ocpi.versions_is_details",
    ),
    Scenario(
        "details-no-credentials",
        "details without a credentials endpoint: no POST",
        at_details(
            lambda p: ocpi(
                {
                    "version": "2.2.1",
                    "endpoints": [
                        {"identifier": "locations", "role": "SENDER", "url": p.server.url("/loc")}
                    ],
                }
            )
        ),
        "ocpi.no_credentials_endpoint",
        check=no_post,
    ),
    Scenario(
        "details-missing-field",
        "details without endpoints",
        at_details(lambda p: ocpi({"version": "2.2.1"})),
        "ocpi.bad_data",
    ),
    Scenario(
        "details-wrong-type",
        "details endpoints is a string",
        at_details(lambda p: ocpi({"version": "2.2.1", "endpoints": "all"})),
        "ocpi.bad_data",
    ),
    Scenario(
        "details-bad-url",
        "the credentials URL has an impossible port",
        at_details(
            lambda p: ocpi(
                {
                    "version": "2.2.1",
                    "endpoints": [
                        {
                            "identifier": "credentials",
                            "role": "RECEIVER",
                            "url": "http://127.0.0.1:99999/c",
                        }
                    ],
                }
            )
        ),
        "ocpi.bad_data",
        check=no_post,
    ),
    Scenario(
        "details-url-control-chars",
        "the credentials URL carries terminal escapes",
        at_details(
            lambda p: ocpi(
                {
                    "version": "2.2.1",
                    "endpoints": [
                        {
                            "identifier": "credentials",
                            "role": "RECEIVER",
                            "url": p.server.url("/c\x1b[2J"),
                        }
                    ],
                }
            )
        ),
        "ocpi.bad_data",
        check=no_post,
    ),
    Scenario(
        "connection-refused",
        "nothing listens on the partner's port",
        lambda p: None,
        "net.connect",
        versions_url=lambda p: "http://127.0.0.1:9/ocpi/versions",
    ),
    Scenario(
        "extra-fields",
        "unknown extra fields everywhere are ignored",
        lambda p: (
            p.standard(
                p.credentials_reply(extra={"x_vendor": {"a": [1, 2]}, "hub_party_id": None})
            ),
            p.server.on(
                "GET",
                "/ocpi/versions",
                ocpi([{"version": "2.2.1", "url": p.server.url("/ocpi/2.2.1"), "extra": True}]),
            ),
        ),
        None,
        registered=True,
        outcome="succeeded",
    ),
    # --- the POST answer ----------------------------------------------------------------
    Scenario(
        "token-c-equals-a",
        "TOKEN_C equal to TOKEN_A",
        at_post(lambda p: p.credentials_reply(lambda q: q.token_a)),
        "token.c_equals_a",
    ),
    Scenario(
        "token-c-equals-b",
        "TOKEN_C equal to our TOKEN_B",
        at_post(lambda p: p.credentials_reply(lambda q: q.token_b)),
        "token.c_equals_b",
    ),
    Scenario(
        "token-c-empty",
        "TOKEN_C empty",
        at_post(lambda p: p.credentials_reply(lambda q: "")),
        "token.c_invalid",
    ),
    Scenario("token-c-65", "TOKEN_C of 65 characters", at_post(c_of("C" * 65)), "token.c_invalid"),
    Scenario(
        "token-c-space",
        "TOKEN_C with a space and a non-ASCII letter",
        at_post(c_of("abc déf")),
        "token.c_invalid",
    ),
    Scenario(
        "post-missing-url",
        "the answer lacks url and roles: TOKEN_C kept, warned",
        at_post(lambda p: p.credentials_reply(extra={"url": None, "roles": []})),
        "reg.response_roles",
        registered=True,
        outcome="succeeded",
    ),
    Scenario(
        "post-roles-wrong-type",
        "roles is a string: TOKEN_C kept, warned",
        at_post(lambda p: p.credentials_reply(extra={"roles": "CPO"})),
        "reg.response_roles",
        registered=True,
        outcome="succeeded",
    ),
    Scenario(
        "post-roles-escapes",
        "roles whose names, ids and business name carry terminal escapes",
        at_post(
            lambda p: p.credentials_reply(
                extra={
                    "roles": [
                        {
                            "role": "CPO\x1b[2J",
                            "party_id": "\x1b[2J",
                            "country_code": "\n[",
                            "business_details": {"name": ESCAPES},
                        }
                    ]
                }
            )
        ),
        "reg.response_roles",
        registered=True,
        outcome="succeeded",
    ),
    Scenario(
        "verify-echoes-token-c",
        "the check with TOKEN_C is refused with a message quoting TOKEN_C",
        lambda p: (
            p.standard(p.credentials_reply()),
            p.server.on("GET", "/ocpi/versions", _versions_then_echo_c(p)),
        ),
        "reg.verify_failed",
        registered=True,
        outcome="succeeded",
    ),
    Scenario(
        "post-data-null",
        "1000 without data",
        at_post(lambda p: p.credentials_reply(data=None)),
        "ocpi.bad_data",
    ),
    Scenario(
        "post-2001-escapes",
        "HTTP 200 + OCPI 2001 whose message carries newlines and escapes",
        at_post(lambda p: p.credentials_reply(data=None, status_code=2001, message=ESCAPES)),
        "ocpi.invalid_params",
    ),
    Scenario(
        "post-3002",
        "HTTP 200 + OCPI 3002",
        at_post(lambda p: p.credentials_reply(data=None, status_code=3002)),
        "ocpi.unsupported_version_3002",
    ),
    Scenario(
        "post-3003",
        "HTTP 200 + OCPI 3003",
        at_post(lambda p: p.credentials_reply(data=None, status_code=3003)),
        "ocpi.missing_endpoints_3003",
    ),
    Scenario(
        "post-401",
        "the POST answered 401",
        at_post(lambda p: p.credentials_reply(data=None, status_code=2000, http_status=401)),
        "token.a_rejected",
    ),
    Scenario(
        "post-405",
        "the POST answered 405",
        at_post(lambda p: p.credentials_reply(data=None, status_code=2000, http_status=405)),
        "reg.already_registered",
    ),
    Scenario(
        "callback-with-token-a",
        "the partner calls us back with TOKEN_A, then answers 3001",
        at_post(
            lambda p: p.credentials_reply(
                callback="A", data=None, status_code=3001, message="your endpoint said 401"
            )
        ),
        "ocpi.callback_failed_3001",
        check=a_used_in_callback,
    ),
    Scenario(
        "callback-without-token",
        "the partner calls us back without a token, then answers 1000",
        at_post(lambda p: p.credentials_reply(callback="none-token")),
        "reg.discovery_incomplete",
        registered=True,
        outcome="succeeded",
    ),
    # --- tokens echoed back -------------------------------------------------------------
    Scenario(
        "echo-token-b-2001",
        "the 2001 message echoes our TOKEN_B",
        at_post(
            lambda p: p.credentials_reply(
                data=None,
                status_code=2001,
                message="",
                body=lambda q: json.dumps(
                    build_envelope(None, 2001, f"token {q.token_b} refused")
                ).encode(),
            )
        ),
        "ocpi.invalid_params",
    ),
    Scenario(
        "echo-token-a-status",
        "a versions status message echoes TOKEN_A (raw and Base64)",
        lambda p: (p.standard(), p.server.on("GET", "/ocpi/versions", _echo_a())),
        "ocpi.status_error",
    ),
    Scenario(
        "echo-token-b-in-url",
        "the partner's versions URL carries our TOKEN_B in its query",
        at_post(lambda p: p.credentials_reply(extra={"url": "__b__"}, body=_url_with_b)),
        None,
        registered=True,
        outcome="succeeded",
    ),
    Scenario(
        "post-garbled-token-c",
        "a broken-JSON answer that still carries a TOKEN_C",
        at_post(lambda p: p.credentials_reply(body=lambda q: _garbled(q))),
        "ocpi.not_json",
    ),
]


def _not_hit(outcome: Outcome, path: str) -> None:
    assert path not in [s.path for s in outcome.partner.server.seen]


def _echo_a() -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        value = header.split(" ", 1)[1] if " " in header else ""
        import base64

        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except ValueError:
            decoded = value
        message = f"unknown token {decoded} (header {value})"
        return web.json_response(build_envelope(None, 2000, message))

    return handler


def _versions_then_echo_c(p: Partner) -> Handler:
    """Versions answer TOKEN_A normally; once registered, TOKEN_C is refused and quoted."""
    good = versions_of(p, ("2.2.1", "/ocpi/2.2.1"))

    async def handler(request: web.Request) -> web.StreamResponse:
        if p.token_c is None:
            return await good(request)
        return web.json_response(build_envelope(None, 2000, f"token {p.token_c} is unknown here"))

    return handler


def _url_with_b(p: Partner) -> bytes:
    payload = {
        "token": "C-url-carries-b-0123456789abcdef",
        "url": p.versions_url + "?b=" + (p.token_b or ""),
        "roles": [
            {
                "role": "CPO",
                "party_id": "HOS",
                "country_code": "NL",
                "business_details": {"name": "H"},
            }
        ],
    }
    p.token_c = payload["token"]
    return json.dumps(build_envelope(payload)).encode()


def _garbled(p: Partner) -> bytes:
    p.token_c = "C-garbled-0123456789abcdefghij"
    return b'{"status_code": 1000, "data": {"token": "' + p.token_c.encode() + b'", "url": '


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_hostile_partner(
    scenario: Scenario,
    vault: Vault,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    outcome = run(
        sender_run(
            vault,
            scenario.script,
            raw=scenario.raw,
            versions_url=scenario.versions_url,
            http=HOSTILE_HTTP,
        ),
        timeout=30,
    )
    captured = capfd.readouterr()
    assert_sound(
        outcome,
        vault,
        scenario.code,
        captured=(captured.out, captured.err),
        log_text=caplog.text,
        registered=scenario.registered,
        post_succeeded=scenario.registered,
        outcome_state=scenario.outcome,
        max_seconds=scenario.max_seconds,
    )
    if scenario.check is not None:
        scenario.check(outcome)
