"""What a partner receives: the request head OcpiHttp sends, byte for byte in its order.

OcpiHttp sends through httpx's transport with requests it builds itself (issue 13: httpx's
client layer cost ~1 M instructions a request). The partner must see the head httpx's client
sent before: Host, Accept-Encoding, Connection, User-Agent, then the request's own headers,
Content-Length last; a cookie the partner set comes back on the next request (as httpx's
client jar did), and the transcript still records only the request's own headers.
"""

from __future__ import annotations

import asyncio
import re

from app.core.http import USER_AGENT, HttpSettings, OcpiHttp, make_client
from app.core.tokens import Secret, TokenRole
from app.core.transcript import Transcript
from tests.support.aio import run

TOKEN = Secret("t" * 36, TokenRole.A)


async def _heads_seen(first_answer: bytes) -> tuple[list[list[str]], Transcript]:
    """Two requests (a POST with a body, then a GET) to a loopback server that answers the
    first with `first_answer`'s extra header lines; returns each request's head lines."""
    heads: list[list[str]] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while not reader.at_eof():
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            lines = head.decode("latin-1").split("\r\n")[:-2]
            length = [int(v) for k, _, v in (h.partition(": ") for h in lines)
                      if k.lower() == "content-length"]  # fmt: skip
            if length:
                await reader.readexactly(length[0])
            heads.append(lines)
            extra = first_answer if len(heads) == 1 else b""
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra
                         + b"Content-Length: 2\r\n\r\n{}")  # fmt: skip
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transcript = Transcript("head")
    transcript.add_secret(TOKEN)
    try:
        async with make_client(HttpSettings()) as client:
            http = OcpiHttp(client, transcript, correlation_id="corr-1")
            url = f"http://127.0.0.1:{port}/ocpi/versions"
            await http.send("POST", url, token=TOKEN, base64_token=True, ocpi_headers=True,
                            body={"url": "x"})  # fmt: skip
            await http.send("GET", url, token=TOKEN, base64_token=False, ocpi_headers=False)
    finally:
        server.close()
        await server.wait_closed()
    return [[re.sub(r":\d+$", ":PORT", line) for line in head] for head in heads], transcript


def test_the_partner_sees_the_head_httpx_client_sent() -> None:
    (post, get), transcript = run(_heads_seen(b""))
    request_ids = [
        line.split(": ", 1)[1] for line in (*post, *get) if line.startswith("X-Request-ID")
    ]
    assert len(set(request_ids)) == 2
    common = ["Host: 127.0.0.1:PORT", "Accept-Encoding: gzip, deflate", "Connection: keep-alive",
              f"User-Agent: {USER_AGENT}", "Accept: application/json"]  # fmt: skip
    assert post == [
        "POST /ocpi/versions HTTP/1.1",
        *common,
        "Authorization: Token dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0",
        f"X-Request-ID: {request_ids[0]}",
        "X-Correlation-ID: corr-1",
        "Content-Type: application/json",
        "Content-Length: 12",
    ]
    assert get == [
        "GET /ocpi/versions HTTP/1.1",
        *common,
        f"Authorization: Token {'t' * 36}",
        f"X-Request-ID: {request_ids[1]}",
        "X-Correlation-ID: corr-1",
    ]
    recorded = [entry["request"]["headers"] for entry in transcript.entries if "request" in entry]
    assert [sorted(h) for h in recorded] == [
        ["Accept", "Authorization", "Content-Type", "X-Correlation-ID", "X-Request-ID"],
        ["Accept", "Authorization", "X-Correlation-ID", "X-Request-ID"],
    ]


def test_a_cookie_the_partner_set_comes_back_on_the_next_request() -> None:
    (post, get), _transcript = run(_heads_seen(b"Set-Cookie: route=b2; Path=/\r\n"))
    assert not [line for line in post if line.lower().startswith("cookie")]
    assert "Cookie: route=b2" in get
    assert get.index("Cookie: route=b2") == len(get) - 1  # after the request's own headers
