"""Real loopback servers for tests: a scripted (hostile) OCPI partner on aiohttp.

Each test scripts the answers per (method, path); every request is recorded with its
headers so a test can assert which token went where (and that none went elsewhere).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from app.core.ocpi import build_envelope

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedServer:
    """An aiohttp server on 127.0.0.1 whose routes the test defines."""

    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    ssl_context: Any = None
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def base(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def on(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(Seen(request.method, request.path, dict(request.headers), body))
        handler = self.routes.get((request.method, request.path)) or self.routes.get(
            ("*", request.path)
        )
        if handler is None:
            return web.json_response(build_envelope(None, 2000, "not found"), status=404)
        return await handler(request)

    async def start(self) -> ScriptedServer:
        app = web.Application(client_max_size=1024 * 1024 * 64)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> ScriptedServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def ocpi(
    data: Any = None, status_code: int = 1000, http_status: int = 200, message: str | None = None
) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response(build_envelope(data, status_code, message), status=http_status)

    return handler


def raw(
    body: bytes | str,
    status: int = 200,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        data = body.encode() if isinstance(body, str) else body
        return web.Response(
            body=data, status=status, headers={"Content-Type": content_type, **(headers or {})}
        )

    return handler


def partner_routes(
    server: ScriptedServer, version: str = "2.2.1", credentials: Handler | None = None
) -> None:
    """A well-behaved partner's versions and details; credentials scripted by the test."""
    server.on(
        "GET",
        "/ocpi/versions",
        _lazy(lambda: ocpi([{"version": version, "url": server.url(f"/ocpi/{version}")}])),
    )
    server.on(
        "GET",
        f"/ocpi/{version}",
        _lazy(
            lambda: ocpi(
                {
                    "version": version,
                    "endpoints": [
                        {
                            "identifier": "credentials",
                            "role": "RECEIVER",
                            "url": server.url(f"/ocpi/{version}/credentials"),
                        },
                        {
                            "identifier": "locations",
                            "role": "SENDER",
                            "url": server.url(f"/ocpi/{version}/locations"),
                        },
                    ],
                }
            )
        ),
    )
    if credentials is not None:
        server.on("POST", f"/ocpi/{version}/credentials", credentials)


def _lazy(make: Callable[[], Handler]) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await make()(request)

    return handler


def trickle(chunks: int, delay: float, chunk: bytes = b" ") -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for _ in range(chunks):
            await response.write(chunk)
            await asyncio.sleep(delay)
        return response

    return handler


def never(seconds: float = 30) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.json_response({})

    return handler


def json_body(value: Any) -> Handler:
    return raw(json.dumps(value))
