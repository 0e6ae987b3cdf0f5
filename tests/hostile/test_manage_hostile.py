"""Hostile partners after registration: rotate (PUT), check (GET) and unregister (DELETE)
against a partner that turns bad. Each ends in a diagnosis, in bounded time, with no token
in any output, and the stored pair untouched (rotation never loses the working tokens).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from app.core.diagnosis import OnboardingError
from app.core.events import Event
from app.core.ocpi import build_envelope
from app.core.tokens import Secret, TokenRole, generate_token
from app.engine.results import RunResult
from app.vault import Direction, TokenState, Vault
from tests.engine.conftest import started_engine
from tests.hostile.harness import ESCAPES, HOSTILE_HTTP, Partner, hang, leaks
from tests.support.aio import run
from tests.support.servers import ScriptedServer, raw


@dataclass
class Managed:
    result: RunResult | None
    raised: OnboardingError | None
    elapsed: float
    tokens: list[str | None]
    events: list[Event]
    transcript: list[dict[str, Any]] = field(default_factory=list)
    before: dict[tuple[str, str], str] = field(default_factory=dict)


def _active(vault: Vault, partner_id: int) -> dict[tuple[str, str], str]:
    return {
        (str(c.role), str(c.direction)): vault.reveal(c.id).reveal()
        for c in vault.tokens(partner_id, state=TokenState.ACTIVE)
    }


async def _managed(vault: Vault, mutate: Callable[[Partner], None], operation: str) -> Managed:
    events: list[Event] = []
    token_a = "A-" + generate_token()
    async with ScriptedServer() as server:
        partner = Partner(server)
        partner.standard(partner.credentials_reply())
        async with started_engine(vault, http=HOSTILE_HTTP, on_event=events.append) as engine:
            registered = await engine.register(partner.versions_url, Secret(token_a, TokenRole.A))
            assert registered.status == "registered", registered.diagnosis
            assert registered.partner_id is not None
            before = _active(vault, registered.partner_id)
            seen = [token_a, partner.token_b, partner.token_c]
            events.clear()
            mutate(partner)
            result = raised = None
            t0 = time.perf_counter()
            try:
                result = await getattr(engine, operation)(registered.partner_id)
            except OnboardingError as exc:
                raised = exc
            finally:
                partner.released.set()
            elapsed = time.perf_counter() - t0
    outcome = Managed(
        result, raised, elapsed, [*seen, partner.token_b, partner.token_c], events, before=before
    )
    if result is not None:
        outcome.transcript = vault.transcript(result.run_id)
    return outcome


def put_answer(make: Callable[[Partner], Callable[..., Any]]) -> Callable[[Partner], None]:
    return lambda p: p.server.on("PUT", p.credentials_path, make(p))


def _echo_put(p: Partner) -> Callable[..., Any]:
    async def handler(request: web.Request) -> web.StreamResponse:
        current = p.token_c
        p.learn(await request.read())  # our new inbound token, now also p.token_b
        message = f"token {current} / {p.token_b} rejected{ESCAPES}"
        return web.json_response(build_envelope(None, 2001, message))

    return handler


SCENARIOS = [
    (
        "rotate-put-returns-our-new-token",
        "rotate",
        put_answer(lambda p: p.credentials_reply(lambda q: q.token_b, callback=None)),
        "token.c_equals_b",
        "failed",
    ),
    ("rotate-put-never-answers", "rotate", put_answer(hang), "net.post_timeout", "interrupted"),
    (
        "rotate-put-2001-echoes-tokens-and-escapes",
        "rotate",
        put_answer(_echo_put),
        "ocpi.invalid_params",
        "failed",
    ),
    (
        "rotate-versions-html-login",
        "rotate",
        lambda p: p.server.on(
            "GET", "/ocpi/versions", raw("<html><form>login</form></html>", 200, "text/html")
        ),
        "ocpi.html_page",
        "failed",
    ),
    (
        "check-401",
        "check",
        lambda p: p.server.on("GET", "/ocpi/versions", raw("{}", 401)),
        "token.c_rejected",
        "failed",
    ),
    (
        "check-not-json",
        "check",
        lambda p: p.server.on("GET", "/ocpi/versions", raw(b"\x00\xff garbage")),
        "ocpi.not_json",
        "failed",
    ),
    (
        "unregister-delete-500",
        "unregister",
        lambda p: p.server.on("DELETE", p.credentials_path, raw("oops", 500, "text/plain")),
        "ocpi.server_error",
        "failed",
    ),
    (
        "unregister-delete-redirect",
        "unregister",
        lambda p: p.server.on("DELETE", p.credentials_path, _redirect_to_other(p)),
        "net.redirect_write",
        "failed",
    ),
]


def _redirect_to_other(p: Partner) -> Callable[..., Any]:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=307, headers={"Location": p.server.url("/elsewhere")})

    return handler


@pytest.mark.parametrize(
    ("name", "operation", "mutate", "code", "outcome"), SCENARIOS, ids=[s[0] for s in SCENARIOS]
)
def test_hostile_partner_after_registration(
    vault: Vault,
    capfd: pytest.CaptureFixture[str],
    name: str,
    operation: str,
    mutate: Callable[[Partner], None],
    code: str,
    outcome: str,
) -> None:
    managed = run(_managed(vault, mutate, operation), timeout=30)
    assert managed.elapsed < 6, managed.elapsed
    result = managed.result
    assert result is not None, managed.raised
    assert result.diagnosis is not None and result.diagnosis.code == code, result.diagnosis
    assert "\n" not in result.diagnosis.message and "\x1b" not in result.diagnosis.message
    captured = capfd.readouterr()
    texts = {
        "transcript": json.dumps(managed.transcript, ensure_ascii=False),
        "result": json.dumps(result.to_json(), ensure_ascii=False),
        "events": "\n".join(e.message for e in managed.events),
        "run": json.dumps(vault.run(result.run_id).diagnosis),
        "stdout": captured.out,
        "stderr": captured.err,
    }
    found = {k: leaks(v, managed.tokens) for k, v in texts.items() if leaks(v, managed.tokens)}
    assert not found, found
    assert "Traceback" not in captured.err
    # the vault: run finished, the working pair untouched, the partner still registered
    record = vault.run(result.run_id)
    assert record.outcome == outcome
    partner = vault.partner(result.partner_id)  # type: ignore[arg-type]
    assert partner.status == "registered"
    assert _active(vault, partner.id) == managed.before  # type: ignore[arg-type]
    pending = vault.tokens(partner.id, state=TokenState.PENDING)  # type: ignore[arg-type]
    if outcome == "interrupted":  # the partner may have switched: the new token is kept, pending
        assert [(c.role, c.direction) for c in pending] == [(TokenRole.B, Direction.INBOUND)]
    else:
        assert not [c for c in pending if c.role != TokenRole.A]
