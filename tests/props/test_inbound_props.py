"""Property test of our inbound endpoint: arbitrary methods, paths, headers and bodies over
real HTTP to a CallbackServer with a TokenBook (invite, discovery and registered grants).

Invariants for every request: no 500 (an unhandled exception inside a handler), an OCPI
envelope with JSON content type (or aiohttp's own 400 for a request it cannot parse), no
known token in the answer unless the request itself carried it, no error logged.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from app.callback.receiver import ReceiverService
from app.callback.server import CallbackServer, ServerConfig
from app.callback.tokenbook import Stage, TokenBook
from app.core.handshake import OurParty
from app.core.http import HttpSettings
from app.core.tokens import Secret, TokenRole
from tests.props.strategies import authorization_values, credentials_like, json_values

TOKEN_A = "A-inbound-prop-0123456789abcdef"
TOKEN_B = "B-inbound-prop-0123456789abcdef"
TOKEN_C = "C-inbound-prop-0123456789abcdef"
THEIRS = "T-inbound-prop-0123456789abcdef"  # a token we present to a partner (outbound)
KNOWN = [TOKEN_A, TOKEN_B, TOKEN_C, THEIRS]

TCHAR = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
METHODS = st.sampled_from(
    ["GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "TRACE"]
) | st.text(st.sampled_from(TCHAR), min_size=1, max_size=8)
SEGMENTS = st.sampled_from(
    [
        "ocpi",
        "ocpi",
        "versions",
        "2.2.1",
        "2.1.1",
        "2.3.0",
        "credentials",
        "credentials",
        "details",
        "..",
        ".",
        "%2e%2e",
        "",
        "9.9",
        "locations",
        "%00",
        "ocpi;x",
        "versions?x=1",
        "a" * 300,
    ]
) | st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/?#%"), max_size=10
)
PATHS = st.lists(SEGMENTS, min_size=0, max_size=5).map(lambda parts: "/" + "/".join(parts))
HEADER_NAMES = st.sampled_from(
    [
        "X-Request-ID",
        "X-Correlation-ID",
        "Content-Type",
        "Accept",
        "OCPI-from-party-id",
        "Transfer-Encoding",
        "Cookie",
    ]
) | st.text(st.sampled_from(TCHAR), min_size=1, max_size=12)
HEADER_VALUES = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(
    str.strip
)
SAFE_URLS = st.sampled_from(
    [
        "http://127.0.0.1:9/ocpi/versions",
        "http://[::1]:9/v",
        "http://127.0.0.1:99999/x",
        "https://127.0.0.1:9/v",
        "ftp://x/",
        "",
        "/relative",
    ]
)
BODIES = (
    st.none()
    | st.binary(max_size=200)
    | json_values(12).map(lambda v: json.dumps(v).encode())
    | credentials_like(token=st.sampled_from(KNOWN) | st.text(max_size=70)).map(
        lambda d: json.dumps(_safe_urls(d)).encode()
    )
    | st.sampled_from([b"{", b"NaN", b"[" * 3000 + b"]" * 3000, b"\xff\xfe", b"{}" * 40000])
)


def _safe_urls(data: Any) -> Any:
    """No generated URL may point off this machine (the receiver calls it back)."""
    if isinstance(data, dict):
        return {
            k: ("http://127.0.0.1:9/ocpi/versions" if k == "url" else _safe_urls(v))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_safe_urls(v) for v in data]
    return data


def _forms(token: str) -> list[str]:
    raw = token.encode()
    return [token, base64.b64encode(raw).decode(), base64.b64encode(raw).decode().rstrip("=")]


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


def _start() -> tuple[asyncio.AbstractEventLoop, CallbackServer, httpx.AsyncClient]:
    loop = asyncio.new_event_loop()
    book = TokenBook()
    us = OurParty(
        [
            {
                "role": "CPO",
                "party_id": "ONB",
                "country_code": "DE",
                "business_details": {"name": "Us"},
            }
        ],
        "http://127.0.0.1/ocpi/versions",
    )
    fast = HttpSettings(request_timeout=0.5, write_timeout=1.0, connect_timeout=0.5)
    receiver = ReceiverService(book, us, fast)
    server = CallbackServer(book, receiver, ServerConfig())
    loop.run_until_complete(server.start())
    us.versions_url = server.versions_url
    receiver.invite("invited", Secret(TOKEN_A, TokenRole.A))
    receiver.expect_sender("discovering", Secret(TOKEN_B, TokenRole.B), "2.2.1")
    registered = receiver.invite("registered", Secret("unused-a-0123456789", TokenRole.A))
    registered.status = "registered"
    book.revoke_peer("registered")
    book.grant(Secret(TOKEN_C, TokenRole.C), "registered", Stage.REGISTERED, "2.2.1")
    book.remember_outbound(Secret(THEIRS, TokenRole.B), "registered")
    client = httpx.AsyncClient(base_url=server.base_url, timeout=10, trust_env=False)
    return loop, server, client


@given(
    method=METHODS,
    path=PATHS,
    auth=authorization_values(KNOWN),
    headers=st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=4),
    body=BODIES,
)
def _one_request(
    ctx: dict[str, Any],
    method: str,
    path: str,
    auth: str | None,
    headers: dict[str, str],
    body: bytes | None,
) -> None:
    ctx["tick"]()
    loop, server, client = ctx["loop"], ctx["server"], ctx["client"]
    server._failures.clear()  # the rate limit would turn most examples into 429s
    sent = {
        k: v
        for k, v in headers.items()
        if k.lower()
        not in ("authorization", "content-length", "host", "transfer-encoding", "connection")
    }
    if auth is not None:
        sent["Authorization"] = auth
    try:
        url = server.base_url + path  # absolute: '//x' is a path here, not an authority
        response = loop.run_until_complete(client.request(method, url, headers=sent, content=body))
    except (httpx.LocalProtocolError, httpx.InvalidURL):
        return  # httpx itself refused to send it (not our endpoint's business)
    except httpx.RemoteProtocolError:
        raise AssertionError("our endpoint broke the connection") from None
    assert response.status_code != 500, response.text
    assert response.status_code in (200, 400, 401, 404, 405, 413, 429), response.status_code
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("application/json") and method != "HEAD":
        envelope = response.json()
        assert isinstance(envelope["status_code"], int) and envelope["timestamp"].endswith("Z")
    else:  # only aiohttp's own parse errors come without our envelope
        assert response.status_code == 400 or method == "HEAD", (response.status_code, content_type)
    request_text = f"{path} {json.dumps(sent)} {body!r}"
    answer = response.text + json.dumps(dict(response.headers))
    for token in KNOWN:
        presented = any(form in request_text for form in _forms(token)) or (
            body is not None and token.encode() in body
        )
        if not presented:
            for form in _forms(token):
                assert form not in answer, "a token the caller did not present was echoed"


def test_inbound_endpoint_survives_anything(count_example) -> None:  # type: ignore[no-untyped-def]
    loop, server, client = _start()
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        _one_request({"loop": loop, "server": server, "client": client, "tick": count_example})
    finally:
        logging.getLogger().removeHandler(errors)
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(server.stop())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    import traceback

    assert not errors.records, [
        "".join(traceback.format_exception(*r.exc_info)) if r.exc_info else r.getMessage()
        for r in errors.records
    ][:2]
