"""Our endpoint's listening sockets, bound before aiohttp loads (issue 13, target 1: memory).

Our endpoint has to take partners' calls from the moment the engine starts: an invited
partner may register at any time. Taking a call first needs only a bound, listening
socket: the kernel completes the TCP handshake and queues the connection until a server
accepts it. aiohttp's server is ~150 modules and ~12 MiB resident (its package imports the
client side, email, http.cookies, urllib.request ...), so `CallbackServer` binds here at
start and loads aiohttp when the first connection is waiting, then serves these same
sockets (aiohttp's `SockSite`).

`bind` follows asyncio's own `loop.create_server(host, port)`, which aiohttp's `TCPSite`
used before: one socket per address the host resolves to (all interfaces for "" or None),
SO_REUSEADDR on POSIX, IPv6 sockets IPv6-only, an address family the machine lacks
skipped, and the same error text when an address cannot be bound.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import sys
from typing import Any

BACKLOG = 128  # aiohttp's TCPSite default

_REUSE_ADDRESS = os.name == "posix" and sys.platform != "cygwin"


async def bind(host: str | None, port: int, backlog: int = BACKLOG) -> list[socket.socket]:
    """Bound, listening, non-blocking sockets for (host, port); OSError if none can be."""
    infos = set(await _resolve(host or None, port))
    sockets: list[socket.socket] = []
    completed = False
    try:
        for family, kind, proto, _canon, address in infos:
            try:
                sock = socket.socket(family, kind, proto)
            except OSError:  # a family/type/protocol this machine does not offer
                continue
            sockets.append(sock)
            if _REUSE_ADDRESS:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, True)
            if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, True)
            try:
                sock.bind(address)
            except OSError as err:
                if err.errno == errno.EADDRNOTAVAIL:  # the family is not enabled here
                    sockets.pop()
                    sock.close()
                    continue
                reason = (err.strerror or str(err)).lower()
                message = f"error while attempting to bind on address {address!r}: {reason}"
                raise OSError(err.errno, message) from None
            sock.listen(backlog)
            sock.setblocking(False)
        if not sockets:
            wanted = [info[4] for info in infos]
            raise OSError(f"could not bind on any address out of {wanted!r}")
        completed = True
    finally:
        if not completed:
            for sock in sockets:
                sock.close()
    return sockets


async def _resolve(host: str | None, port: int) -> list[tuple[Any, ...]]:
    """getaddrinfo for a passive socket. A numeric address (or none: every interface) needs
    no lookup and is resolved here, as asyncio does; only a host name goes to the loop's
    resolver thread (under qasync, the first use of its executor starts 10 threads)."""
    flags = socket.AI_PASSIVE
    if host is None or _numeric(host):
        # As bytes: a str host goes through the "idna" codec (stringprep, unicodedata).
        numeric = None if host is None else host.encode("ascii")
        flags |= socket.AI_NUMERICHOST if host is not None else 0
        return socket.getaddrinfo(numeric, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, flags)
    loop = asyncio.get_running_loop()
    return await loop.getaddrinfo(
        host, port, family=socket.AF_UNSPEC, type=socket.SOCK_STREAM, flags=flags
    )


def _numeric(host: str) -> bool:
    if not host.isascii():
        return False
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host.partition("%")[0])
        except (OSError, ValueError):
            continue
        return True
    return False
