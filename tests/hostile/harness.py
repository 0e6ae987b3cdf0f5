"""Shared harness of the hostile-partner matrix: a scripted partner on real loopback HTTP,
one Sender registration against it, and the checks every scenario ends with.

A scenario scripts the partner's routes on a `ScriptedServer` (tests.support.servers); the
engine registers against it with short timeouts; `assert_sound` then proves the outcome:
the expected diagnosis code, bounded time, no traceback, no token (raw or Base64) in any
output, and a consistent vault.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from app.core.diagnosis import Diagnosis, OnboardingError
from app.core.events import Event
from app.core.http import HttpSettings
from app.core.ocpi import authorization_header, build_envelope
from app.core.tokens import Secret, TokenRole, generate_token
from app.engine import Engine
from app.engine.results import RunResult
from app.vault import TokenState, Vault
from tests.engine.conftest import started_engine
from tests.support.servers import ScriptedServer, partner_routes

# Short deadlines: "never answers" and "trickle" scenarios end in about 1.5 s (GET) or
# 2.5 s (POST) instead of the production 30/90 s.
HOSTILE_HTTP = HttpSettings(request_timeout=1.5, write_timeout=2.5, connect_timeout=1.0)
MAX_SECONDS = 8.0  # every scenario must end well inside this (deadline + set-up)

ESCAPES = "\x1b[2J\x1b[31m\x07\r\n[info] registered OK, TOKEN_C accepted\n\x9b1m\u2028"
PARTNER_ROLE = {
    "role": "CPO",
    "party_id": "HOS",
    "country_code": "NL",
    "business_details": {"name": "Hostile Partner BV"},
}


FORM_NAMES = ("raw", "base64", "base64 unpadded", "url-safe base64", "base64 with newline")


def named_forms(value: str) -> dict[str, str]:
    """Every form a token could leak in: raw, Base64 (padded, unpadded, URL-safe, with the
    spec examples' trailing newline), by name."""
    raw = value.encode("utf-8", "surrogatepass")
    forms = (
        value,
        base64.b64encode(raw).decode("ascii"),
        base64.b64encode(raw).decode("ascii").rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
        base64.b64encode(raw + b"\n").decode("ascii"),
    )
    return {name: form for name, form in zip(FORM_NAMES, forms, strict=True) if len(form) >= 8}


def token_forms(value: str) -> list[str]:
    return list(dict.fromkeys(named_forms(value).values()))


def leaks(text: str, tokens: Iterable[str | None]) -> list[str]:
    """Which token forms occur in `text`. The forms themselves are not returned: a failing
    assertion must not print a token either; only which token and which form."""
    found = []
    for i, token in enumerate(tokens):
        if not token:
            continue
        for name, form in named_forms(token).items():
            if form in text:
                found.append(f"token #{i} ({len(token)} chars) {name}")
    return found


# ---- the scripted partner --------------------------------------------------------------
@dataclass
class Partner:
    """A ScriptedServer posing as the credentials Receiver, with what it learnt."""

    server: ScriptedServer
    version: str = "2.2.1"
    token_b: str | None = None  # from our POST body
    token_c: str | None = None  # what it answered (when scripted)
    token_a: str | None = None  # the TOKEN_A our engine presented on the POST
    our_versions_url: str | None = None
    callback_status: list[int] = field(default_factory=list)
    raw: RawServer | None = None  # a second, raw TCP partner when the scenario needs one
    released: asyncio.Event = field(default_factory=asyncio.Event)  # set when the run is over
    other: ScriptedServer | None = None  # another origin (redirect targets)

    @property
    def versions_url(self) -> str:
        return self.server.url("/ocpi/versions")

    @property
    def credentials_path(self) -> str:
        return f"/ocpi/{self.version}/credentials"

    def standard(self, credentials: Callable[..., Any] | None = None) -> None:
        partner_routes(self.server, self.version, credentials)

    def learn(self, body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body)
        except ValueError:
            return {}
        if isinstance(payload, dict):
            self.token_b = (
                payload.get("token") if isinstance(payload.get("token"), str) else self.token_b
            )
            self.our_versions_url = (
                payload.get("url") if isinstance(payload.get("url"), str) else None
            )
        return payload if isinstance(payload, dict) else {}

    async def call_back(self, token: str | None, base64_header: bool = True) -> None:
        """GET our versions and the details of our version, presenting `token`."""
        if not self.our_versions_url:
            return
        headers = {}
        if token is not None:
            headers["Authorization"] = authorization_header(token, base64_header)
        async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
            resp = await client.get(self.our_versions_url, headers=headers)
            self.callback_status.append(resp.status_code)
            if resp.status_code != 200:
                return
            versions = resp.json().get("data") or []
            match = [v for v in versions if v.get("version") == self.version]
            if match:
                resp = await client.get(match[0]["url"], headers=headers)
                self.callback_status.append(resp.status_code)

    def credentials_reply(
        self,
        token_c: str | Callable[[Partner], str | None] | None = None,
        *,
        callback: str | None = "B",
        data: Any = ...,
        status_code: int = 1000,
        http_status: int = 200,
        message: str | None = None,
        extra: dict[str, Any] | None = None,
        body: bytes | Callable[[Partner], bytes] | None = None,
        content_type: str = "application/json",
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """A POST handler: learn TOKEN_B, optionally call us back, answer as scripted."""

        async def handler(request: web.Request) -> web.StreamResponse:
            self.learn(await request.read())
            self.token_a = self.token_a_seen(request)
            if callback == "B":
                await self.call_back(self.token_b)
            elif callback == "A":
                await self.call_back(self.token_a)
            elif callback == "none-token":
                await self.call_back(None)
            if body is not None:
                raw = body(self) if callable(body) else body
                return web.Response(
                    body=raw, status=http_status, headers={"Content-Type": content_type}
                )
            if data is ...:
                value = token_c(self) if callable(token_c) else token_c
                if value is None:
                    value = "C-" + generate_token()
                self.token_c = value
                payload: Any = {"token": value, "url": self.versions_url, "roles": [PARTNER_ROLE]}
                payload.update(extra or {})
            else:
                payload = data
            envelope = build_envelope(payload, status_code, message)
            return web.Response(
                body=json.dumps(envelope).encode(),
                status=http_status,
                headers={"Content-Type": content_type},
            )

        return handler

    def token_a_seen(self, request: web.Request) -> str | None:
        """The raw TOKEN_A our engine presented on this request (decoded if Base64)."""
        header = request.headers.get("Authorization", "")
        value = header.split(" ", 1)[1] if " " in header else ""
        try:
            return base64.b64decode(value, validate=True).decode()
        except ValueError:
            return value


# ---- one registration ------------------------------------------------------------------
@dataclass
class Outcome:
    result: RunResult | None
    raised: OnboardingError | None
    unexpected: BaseException | None
    elapsed: float
    token_a: str
    partner: Partner
    events: list[Event]
    entries: list[dict[str, Any]]
    transcript: list[dict[str, Any]] = field(default_factory=list)
    extra_tokens: list[str] = field(default_factory=list)

    @property
    def diagnosis(self) -> Diagnosis | None:
        if self.result is not None:
            return self.result.diagnosis
        if self.raised is not None:
            return self.raised.diagnosis
        return None

    @property
    def tokens(self) -> list[str | None]:
        return [self.token_a, self.partner.token_b, self.partner.token_c, *self.extra_tokens]

    @property
    def warning_codes(self) -> list[str]:
        return [w.code for w in self.result.warnings] if self.result else []


Script = Callable[[Partner], None]


async def sender_run(
    vault: Vault,
    script: Script,
    *,
    http: HttpSettings = HOSTILE_HTTP,
    version: str = "2.2.1",
    token_a: str | None = None,
    ssl_context: Any = None,
    versions_url: Callable[[Partner], str] | None = None,
    engine_hook: Callable[[Engine, Partner], Awaitable[None]] | None = None,
    verify: bool = True,
    raw: RawAction | None = None,
) -> Outcome:
    """Register against a scripted partner; never raises (the outcome says what happened)."""
    token_a = token_a or "A-" + generate_token()
    events: list[Event] = []
    entries: list[dict[str, Any]] = []
    server = ScriptedServer(ssl_context=ssl_context)
    partner = Partner(server, version)
    result = raised = unexpected = None
    t0 = time.perf_counter()
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(server)
        partner.other = await stack.enter_async_context(ScriptedServer())
        if raw is not None:
            partner.raw = await stack.enter_async_context(RawServer(raw))
        script(partner)
        async with started_engine(
            vault, http=http, on_event=events.append, on_entry=entries.append
        ) as engine:
            if engine_hook is not None:
                await engine_hook(engine, partner)
            url = versions_url(partner) if versions_url else partner.versions_url
            try:
                result = await engine.register(url, Secret(token_a, TokenRole.A), verify=verify)
            except OnboardingError as exc:
                raised = exc
            except Exception as exc:  # recorded: the test fails on it
                unexpected = exc
            finally:
                partner.released.set()  # hanging handlers end, so the servers stop at once
    elapsed = time.perf_counter() - t0
    outcome = Outcome(result, raised, unexpected, elapsed, token_a, partner, events, entries)
    if result is not None:
        outcome.transcript = vault.transcript(result.run_id)
    return outcome


# ---- the checks every scenario ends with -----------------------------------------------
def output_texts(outcome: Outcome, vault: Vault) -> dict[str, str]:
    """Every text the run produced that a person or a file could see."""
    texts: dict[str, str] = {
        "transcript": json.dumps(outcome.transcript, ensure_ascii=False),
        "entries": json.dumps(outcome.entries, ensure_ascii=False, default=str),
        "events": json.dumps(
            [e.to_dict() for e in outcome.events], ensure_ascii=False, default=str
        ),
    }
    diagnosis = outcome.diagnosis
    if diagnosis is not None:
        texts["diagnosis"] = " | ".join(
            str(x) for x in (diagnosis.code, diagnosis.message, diagnosis.hint, diagnosis.detail)
        )
    if outcome.result is not None:
        texts["result"] = json.dumps(outcome.result.to_json(), ensure_ascii=False)
        run = vault.run(outcome.result.run_id)
        texts["run"] = json.dumps(
            {"diagnosis": run.diagnosis, "data": run.data}, ensure_ascii=False
        )
    if outcome.raised is not None:
        texts["raised"] = str(outcome.raised)
    return texts


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def assert_sound(
    outcome: Outcome,
    vault: Vault,
    code: str | None,
    *,
    captured: tuple[str, str] = ("", ""),
    log_text: str = "",
    registered: bool = False,
    post_succeeded: bool | None = None,
    outcome_state: str | None = None,
    max_seconds: float = MAX_SECONDS,
) -> None:
    """The invariants of every hostile scenario (issue: hostile partners, matrix)."""
    # no traceback: only diagnosed failures leave the engine
    assert outcome.unexpected is None, (
        f"unexpected {type(outcome.unexpected).__name__}: {outcome.unexpected!r}"
    )
    out, err = captured
    for name, text in (("stdout", out), ("stderr", err), ("log", log_text)):
        assert "Traceback" not in text, f"traceback in {name}: {text[-2000:]}"
    # bounded time
    assert outcome.elapsed < max_seconds, f"took {outcome.elapsed:.1f} s"
    # the diagnosis
    if registered:
        assert outcome.result is not None and outcome.result.status == "registered", (
            outcome.diagnosis
        )
        if code is not None:
            assert code in outcome.warning_codes, outcome.warning_codes
    else:
        assert outcome.diagnosis is not None, "no diagnosis"
        assert outcome.diagnosis.code == code, (outcome.diagnosis.code, outcome.diagnosis.message)
        # a diagnosis is one clean line: no control characters to forge log lines
        assert not _CONTROL.search(outcome.diagnosis.message), repr(outcome.diagnosis.message)
    # no token in any output
    texts = output_texts(outcome, vault)
    texts["stdout"], texts["stderr"], texts["log"] = out, err, log_text
    found = {name: leaks(text, outcome.tokens) for name, text in texts.items()}
    found = {name: where for name, where in found.items() if where}
    assert not found, f"tokens (#0 A, #1 B, #2 C) leaked: {found}"
    # events are single lines too (the CLI prints them)
    for event in outcome.events:
        assert not _CONTROL.search(event.message), repr(event.message)
    # the vault is consistent
    if outcome.result is None:
        return  # refused before a run existed
    assert_vault_consistent(vault, outcome.result, registered, post_succeeded, outcome_state)


def assert_vault_consistent(
    vault: Vault,
    result: RunResult,
    registered: bool,
    post_succeeded: bool | None,
    outcome_state: str | None,
) -> None:
    run = vault.run(result.run_id)
    assert run.outcome in ("failed", "interrupted", "succeeded", "cancelled"), run.outcome
    if outcome_state is not None:
        assert run.outcome == outcome_state, (run.outcome, run.state)
    assert run.partner_id is not None
    partner = vault.partner(run.partner_id)
    creds = vault.tokens(partner.id)
    for cred in creds:
        vault.reveal(cred.id)  # every stored token still decrypts (no tampering, no half-write)
    if registered:
        assert partner.status == "registered"
        active = [(c.role, c.direction) for c in creds if c.state == TokenState.ACTIVE]
        assert len(active) == len(set(active)), active
    else:
        assert partner.status != "registered"
        assert not [c for c in creds if c.state == TokenState.ACTIVE], [
            (c.role, c.state) for c in creds
        ]
    if post_succeeded is None:
        post_succeeded = registered
    token_a = [c for c in creds if c.role == TokenRole.A]
    assert len(token_a) == 1
    expected = TokenState.CONSUMED if post_succeeded else TokenState.PENDING
    assert token_a[0].state == expected, token_a[0].state


# ---- a raw TCP partner: for what aiohttp will not send ---------------------------------
RawAction = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """A loopback TCP server that reads one HTTP request head (and body) per connection and
    then runs a scripted action: truncated bodies, resets, other protocols, trickled heads."""

    def __init__(self, action: RawAction) -> None:
        self.action = action
        self.requests: list[bytes] = []
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.append(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            self.requests.append(head)
            await self.action(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:  # actions see is_closing() and end on their own
            writer.transport.abort()
        pending = [t for t in self._tasks if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=2)


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST (SO_LINGER 0), as a crashed or hostile peer does."""
    import socket
    import struct

    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def hang(partner: Partner) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A handler that never answers (until the run is over)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        await partner.released.wait()
        return web.Response(status=504)

    return handler


def drip(
    partner: Partner, delay: float = 0.1
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """HTTP 200, then one byte every `delay` seconds until the run is over."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        await response.prepare(request)
        try:
            while not partner.released.is_set():
                await response.write(b" ")
                await asyncio.sleep(delay)
        except ConnectionError:
            pass
        return response

    return handler


def head(status: str = "200 OK", length: int | None = None, extra: str = "") -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()
