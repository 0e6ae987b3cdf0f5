"""Our OCPI endpoint on aiohttp.web: routes, authentication, envelopes, call records.

Serves, under `<public base>/ocpi/`:
  GET  versions                      our versions list
  GET  {version}                     our version details (credentials endpoint)
  GET|POST|PUT|DELETE {version}/credentials   delegated to a CredentialsHandler
Everything else is 404 with an OCPI envelope; other methods 405; bodies over 64 KiB 413
(before parsing). Unauthenticated callers are rate-limited. Each call is recorded (for
mutual discovery) and reported to subscribers with its raw parts; the engine redacts them
into the run's transcript. Runs on the caller's event loop (AppRunner + SockSite).

`start` binds and listens at once (`app.callback.listen`); aiohttp's server loads when the
first connection waits on those sockets, or when `serve` is awaited (issue 13, memory):
a call is queued by the kernel meanwhile, never refused. The owner's `before_serving` runs
then too, before any call is answered (the engine restores its registered partners'
tokens there, their cipher imported on a thread beside aiohttp: `import_on_thread`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import importlib
import json
import logging
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from app.callback.errors import MethodNotAllowed
from app.callback.listen import bind
from app.callback.tokenbook import Grant, Identification, Stage, TokenBook
from app.core.diagnosis import Diagnosis, diagnose
from app.core.http import is_loopback_host
from app.core.ocpi import (
    CLIENT_ERROR,
    INVALID_PARAMS,
    SUPPORTED_VERSIONS,
    build_envelope,
    loads_strict,
    parse_authorization,
    uses_base64_header,
)
from app.core.threads import start_thread
from app.core.vocabulary import RegistrationRefused

if TYPE_CHECKING:  # loaded by `serve`, with the first connection (see the module's doc)
    import socket

    from aiohttp import web

MAX_INBOUND_BODY = 64 * 1024
# aiohttp logs a traceback that quotes the raw request line or header for every malformed
# request it rejects (400) before our handler runs: noise any scanner can trigger, and the
# quoted header may be an Authorization carrying a token. Our handler logs nothing itself.
_PROTOCOL_LOG = logging.getLogger("app.callback.protocol")
_PROTOCOL_LOG.propagate = False
_PROTOCOL_LOG.addHandler(logging.NullHandler())
FAILED_AUTH_LIMIT = 30  # per remote address per minute
MAX_TRACKED_ADDRESSES = 4096
ECHO_HEADERS = ("X-Request-ID", "X-Correlation-ID")


class CredentialsHandler(Protocol):
    async def get(self, grant: Grant, version: str) -> dict[str, Any]: ...

    async def post(self, grant: Grant, version: str, body: Any) -> dict[str, Any]: ...

    async def put(self, grant: Grant, version: str, body: Any) -> dict[str, Any]: ...

    async def delete(self, grant: Grant, version: str) -> None: ...


@dataclass(frozen=True)
class CallRecord:
    """One inbound call, as the engine needs it (no token value, only its fingerprint)."""

    at: float
    method: str
    path: str
    kind: str  # versions | details | credentials | other
    version: str | None
    peer: str | None
    token: str | None  # fingerprint
    token_role: str | None
    status: int
    accepted: bool
    encoding: str
    diagnoses: tuple[Diagnosis, ...]
    remote: str | None
    # raw parts for the transcript (redacted by the subscriber before storage)
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: bytes = b""
    response_body: bytes = b""
    elapsed_ms: float = 0.0


Listener = Callable[[CallRecord], None]


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 0
    public_url: str | None = None  # base URL partners use; default http://host:port
    versions: tuple[str, ...] = SUPPORTED_VERSIONS
    extra_endpoints: tuple[tuple[str, str], ...] = ()  # (module id, role) advertised as stubs
    ssl_context: ssl.SSLContext | None = None  # serve https (tests use a trustme CA)


class CallbackServer:
    """An OCPI versions/credentials endpoint on the running event loop."""

    def __init__(
        self,
        tokens: TokenBook,
        handler: CredentialsHandler,
        config: ServerConfig | None = None,
        delay: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.tokens = tokens
        self.handler = handler
        self.config = config or ServerConfig()
        self.calls: list[CallRecord] = []
        self._listeners: list[Listener] = []
        self._runner: web.AppRunner | None = None
        self._sockets: list[socket.socket] = []
        self._waiting: asyncio.AbstractEventLoop | None = None  # readers on the sockets
        self._serving: asyncio.Task[None] | None = None
        self._bound: tuple[str, int] | None = None
        self._failures: dict[str, deque[float]] = {}
        self._delay = delay
        self.intercept: (
            Callable[[web.Request, str, str | None], Awaitable[web.StreamResponse | None]] | None
        ) = None
        # The sandbox serves module data: paths under a version become kind "module" (with
        # authentication) instead of an unauthenticated 404; it answers them via intercept.
        self.serve_modules = False
        self.echo_headers: tuple[str, ...] = ECHO_HEADERS
        # What the owner makes ready before the first call is answered (see the module doc).
        self.before_serving: Callable[[], Awaitable[None]] | None = None

    # ---- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        """Bind and listen now; aiohttp serves from the first waiting connection on."""
        self._sockets = await bind(self.config.host, self.config.port)
        sockname = self._sockets[0].getsockname()
        self._bound = (sockname[0], sockname[1])
        loop = asyncio.get_running_loop()
        try:
            for sock in self._sockets:
                loop.add_reader(sock.fileno(), self._on_connection_waiting)
        except NotImplementedError:  # a loop without readers (Windows' proactor): serve now
            self._stop_waiting()
            await self.serve()
            return
        self._waiting = loop

    def _stop_waiting(self) -> None:
        if self._waiting is not None:
            for sock in self._sockets:
                self._waiting.remove_reader(sock.fileno())
            self._waiting = None

    def _on_connection_waiting(self) -> None:
        """A partner is connecting: load aiohttp and hand it the sockets (once)."""
        loop = self._waiting
        self._stop_waiting()
        if loop is not None and self._serving is None:
            self._serving = loop.create_task(self._serve_sockets())
            self._serving.add_done_callback(_report_serving_failure)

    async def serve(self) -> None:
        """aiohttp's server on our sockets now (idempotent); `start` first."""
        assert self._sockets, "server not started"
        self._stop_waiting()
        if self._serving is None:
            self._serving = asyncio.get_running_loop().create_task(self._serve_sockets())
            self._serving.add_done_callback(_report_serving_failure)
        await asyncio.shield(self._serving)

    @property
    def serving(self) -> bool:
        """aiohttp's server runs (False while the sockets only listen)."""
        return self._runner is not None

    async def _serve_sockets(self) -> None:
        await import_on_thread("aiohttp.web")
        if self.before_serving is not None:
            await self.before_serving()
        from aiohttp import web

        app = web.Application(client_max_size=MAX_INBOUND_BODY)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, logger=_PROTOCOL_LOG)
        await runner.setup()
        self._runner = runner
        for sock in self._sockets:
            await web.SockSite(runner, sock, ssl_context=self.config.ssl_context).start()

    async def stop(self) -> None:
        self._stop_waiting()
        serving, self._serving = self._serving, None
        if serving is not None and not serving.done():
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await serving
        if self._runner is not None:
            await self._runner.cleanup()  # closes the sites' servers and their sockets
        self._runner = None
        for sock in self._sockets:
            sock.close()
        self._sockets = []

    async def __aenter__(self) -> CallbackServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        assert self._bound, "server not started"
        return self._bound[1]

    @property
    def wide_bind(self) -> bool:
        """True when listening beyond loopback: the GUI/CLI warn about it."""
        return not is_loopback_host(self.config.host)

    @property
    def base_url(self) -> str:
        if self.config.public_url:
            return self.config.public_url.rstrip("/")
        assert self._bound, "server not started"
        host = self._bound[0]
        host = f"[{host}]" if ":" in host else host
        scheme = "https" if self.config.ssl_context is not None else "http"
        return f"{scheme}://{host}:{self._bound[1]}"

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    def details_url(self, version: str) -> str:
        return f"{self.base_url}/ocpi/{version}"

    def credentials_url(self, version: str) -> str:
        return f"{self.base_url}/ocpi/{version}/credentials"

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # ---- dispatch ----------------------------------------------------------------------
    def _route(self, path: str) -> tuple[str, str | None]:
        prefix = _ocpi_prefix(self.base_url)
        if not path.startswith(prefix):
            return "other", None
        parts = [p for p in path[len(prefix) :].split("/") if p]
        if parts == ["versions"]:
            return "versions", None
        if len(parts) >= 1 and parts[0] in self.config.versions:
            if len(parts) == 1 or parts[1:] == ["details"]:
                return "details", parts[0]
            if parts[1:] == ["credentials"]:
                return "credentials", parts[0]
            if self.serve_modules:
                return "module", parts[0]
        return "other", None

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web  # loaded by `serve` (a lookup here)

        t0 = time.perf_counter()
        kind, version = self._route(request.path)
        remote = request.remote or ""
        presented = parse_authorization(request.headers.get("Authorization"))
        ident = Identification(None, "plain")
        body = b""
        status = 500
        response: web.StreamResponse
        try:
            if kind == "other":
                response = self._envelope(404, CLIENT_ERROR, "unknown resource", request)
            elif (
                kind != "credentials" and request.method not in ("GET", "HEAD")
            ) or request.method not in ("GET", "HEAD", "POST", "PUT", "DELETE"):
                response = self._envelope(405, CLIENT_ERROR, "method not allowed", request)
            else:
                ident = self.tokens.identify(presented)
                # While an address is over the limit even a right token waits: a 200 among
                # 429s would tell a guesser it hit (no oracle); the window is one minute.
                if self._rate_limited(remote):
                    response = self._envelope(
                        429, CLIENT_ERROR, "too many unauthenticated attempts", request
                    )
                elif ident.grant is None:
                    self._note_failure(remote)
                    response = self._envelope(
                        401, CLIENT_ERROR, "unknown or missing token", request
                    )
                else:
                    length = request.content_length
                    if length is not None and length > MAX_INBOUND_BODY:
                        response = self._envelope(413, CLIENT_ERROR, "body too large", request)
                    else:
                        try:
                            body = await request.read()
                        except web.HTTPRequestEntityTooLarge:
                            body = b""
                            response = self._envelope(413, CLIENT_ERROR, "body too large", request)
                        else:
                            if self._delay is not None:
                                await self._delay(kind)
                            intercepted = None
                            if self.intercept is not None:
                                intercepted = await self.intercept(request, kind, version)
                            response = intercepted or await self._serve(
                                request, kind, version, ident.grant, body
                            )
        except asyncio.CancelledError:
            raise
        except Exception:  # never a traceback to the partner or to stderr
            response = self._envelope(500, 3000, "internal error", request)
        status = response.status
        self._record(
            request, kind, version, ident, presented is not None, status, body, response, t0
        )
        return response

    async def _serve(
        self, request: web.Request, kind: str, version: str | None, grant: Grant, body: bytes
    ) -> web.StreamResponse:
        if kind == "versions":
            data = [{"version": v, "url": self.details_url(v)} for v in self.config.versions]
            return self._envelope(200, 1000, None, request, data)
        assert version is not None
        if kind == "module":  # nobody intercepted it: no such module here
            return self._envelope(404, CLIENT_ERROR, "unknown resource", request)
        if kind == "details":
            return self._envelope(200, 1000, None, request, self._details(version))
        # credentials
        method = request.method
        if grant.stage == Stage.INVITE and method in ("PUT", "DELETE"):
            return self._envelope(405, CLIENT_ERROR, "not registered yet", request)
        if grant.stage != Stage.INVITE and method == "POST":
            return self._envelope(
                405, CLIENT_ERROR, "already registered: use PUT to update", request
            )
        try:
            if method in ("GET", "HEAD"):
                return self._envelope(
                    200, 1000, None, request, await self.handler.get(grant, version)
                )
            if method == "DELETE":
                await self.handler.delete(grant, version)
                return self._envelope(200, 1000, None, request)
            try:
                payload = loads_strict(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return self._envelope(400, CLIENT_ERROR, "body is not valid JSON", request)
            if not isinstance(payload, dict):
                return self._envelope(200, INVALID_PARAMS, "credentials must be an object", request)
            if method == "POST":
                answer = await self.handler.post(grant, version, payload)
            else:
                answer = await self.handler.put(grant, version, payload)
            return self._envelope(200, 1000, None, request, answer)
        except RegistrationRefused as refused:
            return self._envelope(200, refused.status_code, refused.message, request)
        except MethodNotAllowed as exc:
            return self._envelope(405, CLIENT_ERROR, str(exc) or "method not allowed", request)

    def _details(self, version: str) -> dict[str, Any]:
        with_roles = uses_base64_header(version)  # 2.2+ endpoints carry a role
        credentials: dict[str, Any] = {
            "identifier": "credentials",
            "url": self.credentials_url(version),
        }
        if with_roles:
            credentials["role"] = "SENDER"  # ocpi/ocpi#403: advertise ours as SENDER
        endpoints = [credentials]
        for module, role in self.config.extra_endpoints:
            entry: dict[str, Any] = {
                "identifier": module,
                "url": f"{self.details_url(version)}/{module}",
            }
            if with_roles:
                entry["role"] = role
            endpoints.append(entry)
        return {"version": version, "endpoints": endpoints}

    def _envelope(
        self,
        http_status: int,
        status_code: int,
        message: str | None,
        request: web.Request,
        data: Any = None,
    ) -> web.Response:
        from aiohttp import web  # loaded by `serve` (a lookup here)

        body = json.dumps(build_envelope(data, status_code, message)).encode("utf-8")
        headers = {
            name: request.headers[name] for name in self.echo_headers if name in request.headers
        }
        headers["Server"] = "ocpi-onboard"  # no library versions for a scanner to read
        return web.Response(
            status=http_status, body=body, content_type="application/json", headers=headers
        )

    # ---- bookkeeping -------------------------------------------------------------------
    def _rate_limited(self, remote: str) -> bool:
        window = self._failures.get(remote)
        if not window:
            return False
        cutoff = time.monotonic() - 60
        while window and window[0] < cutoff:
            window.popleft()
        return len(window) >= FAILED_AUTH_LIMIT

    def _note_failure(self, remote: str) -> None:
        if len(self._failures) >= MAX_TRACKED_ADDRESSES:  # forget idle addresses first
            cutoff = time.monotonic() - 60
            for address in [a for a, w in self._failures.items() if not w or w[-1] < cutoff]:
                del self._failures[address]
            if len(self._failures) >= MAX_TRACKED_ADDRESSES:
                self._failures.pop(next(iter(self._failures)))
        window = self._failures.setdefault(remote, deque())
        window.append(time.monotonic())
        if len(window) > FAILED_AUTH_LIMIT:
            window.popleft()

    def _record(
        self,
        request: web.Request,
        kind: str,
        version: str | None,
        ident: Identification,
        had_token: bool,
        status: int,
        body: bytes,
        response: web.StreamResponse,
        t0: float,
    ) -> None:
        grant = ident.grant
        token_label = grant.secret.fingerprint if grant else ident.seen
        if token_label is None and had_token:
            token_label = "unknown"
        body_sent = getattr(response, "body", None)  # a web.Response's (a stream has none)
        diagnoses = ident.warnings + ((ident.refusal,) if ident.refusal and had_token else ())
        if ident.refusal and not had_token and kind != "other":
            diagnoses = (*ident.warnings, ident.refusal)
        if status in (405, 413, 429):  # wrong method, oversized body, rate limit: say so
            diagnoses = (*diagnoses, diagnose("inbound.refused", str(status)))
        record = CallRecord(
            at=time.time(),
            method=request.method,
            path=request.path,
            kind=kind,
            version=version,
            peer=grant.peer if grant else None,
            token=token_label,
            token_role=str(grant.role) if grant and grant.role else None,
            status=status,
            accepted=grant is not None and status < 400,
            encoding=ident.encoding,
            diagnoses=diagnoses,
            remote=request.remote,
            request_headers=dict(request.headers),
            request_body=body,
            response_body=body_sent if isinstance(body_sent, bytes) else b"",
            elapsed_ms=(time.perf_counter() - t0) * 1000,
        )
        self.calls.append(record)
        if len(self.calls) > 5000:
            del self.calls[:1000]
        for listener in list(self._listeners):
            try:
                listener(record)
            except Exception:  # a broken listener must not break the endpoint
                continue


async def import_on_thread(name: str) -> None:
    """Import module `name` on a thread of its own, unless it is loaded already.

    aiohttp.web is ~150 modules and 0.1-0.25 s of CPU, `cryptography` (the vault's cipher)
    ~30 ms and a native library: imported on the event loop's thread they would stop the
    window that long when the first partner calls (mid-handshake); on a thread the loop
    keeps turning between the import's switches of the GIL. One import per module for the
    process (the sandbox partner's server may wake at the same moment as ours; a second
    import on the loop's thread would wait there for the first). A plain thread, not the
    loop's executor: qasync's starts ten threads on first use.
    """
    with _imports_lock:
        pending = _imports.get(name)
        if pending is None:
            if name in sys.modules:  # imported ahead (the CLI) or by the sandbox
                pending = concurrent.futures.Future()
                pending.set_result(None)
            else:
                pending = start_thread(
                    functools.partial(importlib.import_module, name), f"import {name}"
                )
            _imports[name] = pending
    # shielded: a cancelled waiter (the server stopped) leaves the import to finish
    await asyncio.shield(asyncio.wrap_future(pending))


_imports: dict[str, concurrent.futures.Future[None]] = {}
_imports_lock = threading.Lock()


def _report_serving_failure(task: asyncio.Task[None]) -> None:
    """aiohttp could not take over the sockets: say so once, through the loop's handler."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        task.get_loop().call_exception_handler(
            {"message": "our endpoint could not start serving", "exception": exc}
        )


@functools.lru_cache(maxsize=8)
def _ocpi_prefix(base_url: str) -> str:
    """The path our OCPI routes start with under `base_url` (asked for every call: the
    URL is parsed once per base)."""
    return urlsplit(base_url).path.rstrip("/") + "/ocpi/"
