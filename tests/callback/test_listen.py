"""Our endpoint listens from `start`; aiohttp's server takes over with the first call.

Issue 13 (memory): `CallbackServer.start` binds and listens (app/callback/listen.py) and
loads aiohttp only when a connection waits. These tests hold the contract that makes that
honest: a partner connecting at any time after `start` is answered (queued by the kernel,
never refused), the port is ours from `start` (a second server cannot take it), and `stop`
frees it whether or not anyone ever called. Real sockets on loopback, raw HTTP/1.1.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.callback.server import CallbackServer, ServerConfig
from app.callback.tokenbook import TokenBook
from tests.support.aio import run


class NoCredentials:
    """A credentials handler the tests never reach (every call here is unauthenticated)."""

    async def get(self, grant: object, version: str) -> dict[str, object]:
        raise AssertionError("not reached")

    post = put = get

    async def delete(self, grant: object, version: str) -> None:
        raise AssertionError("not reached")


def _server(port: int = 0, host: str = "127.0.0.1") -> CallbackServer:
    return CallbackServer(TokenBook(), NoCredentials(), ServerConfig(host=host, port=port))


async def _get(port: int, path: str = "/ocpi/versions", host: str = "127.0.0.1") -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    return answer


def test_a_call_after_start_is_answered_by_the_server_it_wakes() -> None:
    async def scenario() -> tuple[bool, bytes, bool, bytes]:
        server = _server()
        await server.start()
        try:
            before = server.serving
            first = await _get(server.port)
            second = await _get(server.port, "/nowhere")
            return before, first, server.serving, second
        finally:
            await server.stop()

    before, first, after, second = run(scenario())
    assert before is False  # bound and listening only
    assert first.startswith(b"HTTP/1.1 401 ")  # no token: our endpoint's own refusal
    assert b'"status_code": 2' in first or b'"status_code":2' in first
    assert after is True
    assert second.startswith(b"HTTP/1.1 404 ")


def test_a_connection_made_before_serving_waits_and_is_answered() -> None:
    """The kernel completes the connection at once; its request is read once aiohttp runs."""

    async def scenario() -> tuple[bool, bytes]:
        server = _server()
        await server.start()
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                connected_while_listening_only = not server.serving
                sock.sendall(b"GET /ocpi/versions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                sock.setblocking(False)
                loop = asyncio.get_running_loop()
                answer = b""
                while chunk := await loop.sock_recv(sock, 65536):
                    answer += chunk
            return connected_while_listening_only, answer
        finally:
            await server.stop()

    listening_only, answer = run(scenario())
    assert listening_only is True
    assert answer.startswith(b"HTTP/1.1 401 ")


def test_the_port_is_held_from_start_and_freed_by_stop_without_any_call() -> None:
    async def scenario() -> tuple[int, int | None, bool]:
        server = _server()
        await server.start()
        port = server.port
        clash: int | None = None
        try:
            await _server(port).start()
        except OSError as exc:
            clash = exc.errno
        await server.stop()
        again = _server(port)
        await again.start()  # the port is free again
        await again.stop()
        return port, clash, server.serving

    port, clash, serving = run(scenario())
    assert port > 0
    assert clash == errno.EADDRINUSE
    assert serving is False


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize("host", ["::1", "localhost"])
def test_an_ipv6_address_and_a_host_name_are_bound_as_asyncio_would(host: str) -> None:
    """A numeric IPv6 address is resolved in place; a name goes through the loop's resolver
    (each address it names gets a socket). The URL names the first, and it answers."""
    if host == "::1" and not _ipv6_loopback():
        pytest.skip("no IPv6 loopback on this machine")

    async def scenario() -> tuple[str, bytes]:
        server = _server(host=host)
        await server.start()
        try:
            bound = urlsplit(server.versions_url).hostname or ""
            return server.versions_url, await _get(server.port, host=bound)
        finally:
            await server.stop()

    url, answer = run(scenario())
    assert url.startswith("http://[::1]:" if host == "::1" else "http://")
    assert answer.startswith(b"HTTP/1.1 401 ")


def test_serve_is_idempotent_and_stop_ends_the_server() -> None:
    async def scenario() -> tuple[bytes, int]:
        server = _server()
        await server.start()
        await asyncio.gather(server.serve(), server.serve())
        answer = await _get(server.port)
        port = server.port
        await server.stop()
        return answer, port

    answer, port = run(scenario())
    assert answer.startswith(b"HTTP/1.1 401 ")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=10).close()


IMPORT_PROBE = """
import asyncio, sys, threading

seen = []


class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "aiohttp.web":
            seen.append(threading.current_thread().name)
        return None


sys.meta_path.insert(0, Watch())
from tests.callback.test_listen import _get, _server


async def main(count):
    servers = [_server() for _ in range(count)]
    for server in servers:
        await server.start()
    loaded_at_start = "aiohttp" in sys.modules
    answers = await asyncio.gather(*(_get(server.port) for server in servers))
    for server in servers:
        await server.stop()
    codes = sorted({answer.split(b" ")[1].decode() for answer in answers})
    print("RESULT", loaded_at_start, seen, codes)


asyncio.run(main(int(sys.argv[1])))
"""


@pytest.mark.parametrize("servers", [1, 2])
def test_the_first_call_imports_aiohttp_off_the_loop_thread(servers: int) -> None:
    """The import (~150 modules) runs on a thread of its own, so the window's loop keeps
    turning while the first partner's call wakes the server (fresh interpreter); two servers
    woken at once (ours and the sandbox partner's) share that one import."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, str(servers)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))
    assert line == "RESULT False ['import aiohttp.web'] ['401']"
