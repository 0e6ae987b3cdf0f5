"""Our endpoint (app/callback/server.py) against hostile callers, on real loopback HTTP.

Issue "Handshake engine" (inbound bad input: missing or unknown token, wrong method,
oversized body) and "Hostile partners" (our endpoint: loopback bind by default, a warning
when bound wider, unauthenticated attempts rate-limited, constant-time comparison, nothing
served beyond the OCPI routes). Every refusal is an OCPI envelope, never a traceback, never
a token, and is recorded with a diagnosis in the run's transcript.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.callback import server as server_module
from app.callback import tokenbook as tokenbook_module
from app.callback.server import FAILED_AUTH_LIMIT, MAX_INBOUND_BODY, CallbackServer, ServerConfig
from app.core.ocpi import authorization_header
from app.core.tokens import TokenRole
from app.engine import Engine, Invitation
from app.vault import TokenState, Vault
from tests.engine.conftest import started_engine
from tests.hostile.harness import HOSTILE_HTTP, leaks
from tests.support.aio import run

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def invited(vault: Vault) -> AsyncIterator[tuple[Engine, Invitation, httpx.AsyncClient]]:
    async with started_engine(vault, http=HOSTILE_HTTP) as engine:
        invitation = await engine.invite()
        async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
            yield engine, invitation, client
        flush(engine)


def flush(engine: Engine) -> None:
    """The recorder writes transcript entries in batches; make the vault current."""
    engine.flush_records()


def _token_a(invitation: Invitation) -> str:
    return invitation.token_a.reveal()


def _envelope(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["status_code"], int) and body["timestamp"].endswith("Z")
    return body  # type: ignore[no-any-return]


def _transcript_codes(vault: Vault, run_id: str) -> list[str]:
    return [e["diagnosis"]["code"] for e in vault.transcript(run_id) if e.get("diagnosis")]


def _assert_clean(vault: Vault, invitation: Invitation, *texts: str) -> None:
    """No TOKEN_A anywhere, the invitation still open, TOKEN_A still accepted."""
    token = _token_a(invitation)
    transcript = json.dumps(vault.transcript(invitation.run_id), ensure_ascii=False)
    assert not leaks(transcript, [token]), leaks(transcript, [token])
    for text in texts:
        assert not leaks(text, [token])
        assert "Traceback" not in text
    run_record = vault.run(invitation.run_id)
    assert run_record.outcome == "running"
    (cred,) = [c for c in vault.tokens(invitation.partner_id) if c.role == TokenRole.A]
    assert cred.state == TokenState.ACTIVE


@pytest.mark.parametrize(
    ("name", "headers", "code"),
    [
        ("missing", {}, "token.missing_inbound"),
        ("unknown", {"Authorization": "Token bm90LWEtdG9rZW4tYXQtYWxs"}, "token.unknown_inbound"),
        ("empty", {"Authorization": ""}, "token.missing_inbound"),
        ("scheme-only", {"Authorization": "Basic"}, "token.missing_inbound"),
        ("bearer-unknown", {"Authorization": "Bearer x" * 50}, "token.unknown_inbound"),
    ],
)
def test_missing_or_unknown_token_is_401_with_a_diagnosis(
    vault: Vault, name: str, headers: dict[str, str], code: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def scenario() -> None:
        async with invited(vault) as (engine, invitation, client):
            for url in (
                invitation.versions_url,
                invitation.versions_url.replace("versions", "2.2.1"),
            ):
                response = await client.get(url, headers=headers)
                assert response.status_code == 401
                assert _envelope(response)["status_code"] == 2000
                assert "data" not in response.json()
            flush(engine)
            codes = _transcript_codes(vault, invitation.run_id)
            assert code in codes, codes
            _assert_clean(vault, invitation, caplog.text)

    run(scenario(), timeout=20)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("PATCH", "2.2.1/credentials", 405),
        ("OPTIONS", "2.2.1/credentials", 405),
        ("TRACE", "versions", 405),
        ("POST", "versions", 405),
        ("DELETE", "2.2.1", 405),
        ("PUT", "2.2.1/credentials", 405),  # TOKEN_A is valid but not registered: 405
        ("DELETE", "2.2.1/credentials", 405),
    ],
)
def test_wrong_method_is_refused_with_an_envelope(
    vault: Vault, method: str, path: str, status: int
) -> None:
    async def scenario() -> None:
        async with invited(vault) as (engine, invitation, client):
            base = invitation.versions_url.rsplit("/", 1)[0]
            headers = {"Authorization": authorization_header(_token_a(invitation), True)}
            response = await client.request(method, f"{base}/{path}", headers=headers, json={})
            assert response.status_code == status
            assert _envelope(response)["status_code"] == 2000
            assert not leaks(response.text, [_token_a(invitation)])
            flush(engine)
            calls = [e for e in vault.transcript(invitation.run_id) if e.get("type") == "exchange"]
            assert calls and calls[-1]["response"]["status"] == status
            assert "inbound.refused" in _transcript_codes(vault, invitation.run_id)
            _assert_clean(vault, invitation)

    run(scenario(), timeout=20)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_body_is_413_without_parsing(vault: Vault, chunked: bool) -> None:
    async def scenario() -> None:
        async with invited(vault) as (engine, invitation, client):
            url = invitation.versions_url.replace("versions", "2.2.1/credentials")
            headers = {
                "Authorization": authorization_header(_token_a(invitation), True),
                "Content-Type": "application/json",
            }
            payload = b'{"token": "' + b"x" * (MAX_INBOUND_BODY + 10) + b'"}'

            async def stream() -> AsyncIterator[bytes]:
                for i in range(0, len(payload), 8192):
                    yield payload[i : i + 8192]

            content: Any = stream() if chunked else payload
            response = await client.post(url, headers=headers, content=content)
            assert response.status_code == 413
            assert _envelope(response)["status_code"] == 2000
            flush(engine)
            assert "inbound.refused" in _transcript_codes(vault, invitation.run_id)
            _assert_clean(vault, invitation)
            # the partner can still register: nothing was consumed
            response = await client.get(invitation.versions_url, headers=headers)
            assert response.status_code == 200

    run(scenario(), timeout=20)


@pytest.mark.parametrize(
    ("body", "status", "ocpi"),
    [
        (b"{not json", 400, 2000),
        (b'{"token": "T-broken-json-0123456789abcdef", "url": ', 400, 2000),
        (b"[1, 2, 3]", 200, 2001),
        (b'{"token": 5, "url": []}', 200, 2001),
        (b'{"token": "' + b"T" * 65 + b'", "url": "http://127.0.0.1:9/v", "roles": []}', 200, 2001),
        (b'{"a": NaN}', 400, 2000),
        (b"[" * 30_000 + b"]" * 30_000, 400, 2000),
        (b'{"token": "\xff\xfe"}', 400, 2000),
    ],
    ids=[
        "not-json",
        "cut-json-with-token",
        "array",
        "wrong-types",
        "token-65",
        "nan",
        "deep",
        "bad-utf8",
    ],
)
def test_bad_credentials_posts_are_refused(
    vault: Vault, body: bytes, status: int, ocpi: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def scenario() -> None:
        async with invited(vault) as (_engine, invitation, client):
            url = invitation.versions_url.replace("versions", "2.2.1/credentials")
            headers = {
                "Authorization": authorization_header(_token_a(invitation), True),
                "Content-Type": "application/json",
            }
            response = await client.post(url, headers=headers, content=body)
            assert response.status_code == status, response.text
            assert _envelope(response)["status_code"] == ocpi
            transcript = json.dumps(vault.transcript(invitation.run_id))
            assert "T-broken-json-0123456789abcdef" not in transcript
            _assert_clean(vault, invitation, caplog.text)

    run(scenario(), timeout=20)


def test_post_whose_callback_hangs_is_3001_in_bounded_time(vault: Vault) -> None:
    """The partner registers with a versions URL that never answers: 3001 after our
    request deadline, TOKEN_A still valid, nothing stored."""

    async def scenario() -> float:
        from tests.hostile.harness import Partner, hang
        from tests.support.servers import ScriptedServer

        async with ScriptedServer() as slow, invited(vault) as (_engine, invitation, client):
            partner = Partner(slow)
            slow.on("GET", "/ocpi/versions", hang(partner))
            url = invitation.versions_url.replace("versions", "2.2.1/credentials")
            headers = {"Authorization": authorization_header(_token_a(invitation), True)}
            creds = {
                "token": "B-partner-token-0123456789",
                "url": slow.url("/ocpi/versions"),
                "roles": [
                    {
                        "role": "EMSP",
                        "party_id": "HOS",
                        "country_code": "NL",
                        "business_details": {"name": "Hostile"},
                    }
                ],
            }
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            response = await client.post(url, headers=headers, json=creds)
            elapsed = loop.time() - t0
            partner.released.set()
            assert response.status_code == 200 and _envelope(response)["status_code"] == 3001
            assert (
                "timed out" in response.json()["status_message"]
                or "answer" in response.json()["status_message"]
            )
            transcript = json.dumps(vault.transcript(invitation.run_id))
            assert "B-partner-token-0123456789" not in transcript
            _assert_clean(vault, invitation)
            return elapsed

    elapsed = run(scenario(), timeout=20)
    assert elapsed < HOSTILE_HTTP.request_timeout + 2


def test_partner_reusing_token_a_as_its_token_b_is_refused(vault: Vault) -> None:
    async def scenario() -> None:
        async with invited(vault) as (_engine, invitation, client):
            url = invitation.versions_url.replace("versions", "2.2.1/credentials")
            token = _token_a(invitation)
            headers = {"Authorization": authorization_header(token, True)}
            creds = {
                "token": token,
                "url": "http://127.0.0.1:9/ocpi/versions",
                "roles": [
                    {
                        "role": "EMSP",
                        "party_id": "HOS",
                        "country_code": "NL",
                        "business_details": {"name": "Hostile"},
                    }
                ],
            }
            response = await client.post(url, headers=headers, json=creds)
            assert response.status_code == 200 and _envelope(response)["status_code"] == 2001
            assert not leaks(response.text, [token])
            _assert_clean(vault, invitation)

    run(scenario(), timeout=20)


# ---- our endpoint's own hardening ------------------------------------------------------
def test_nothing_is_served_beyond_the_ocpi_routes(vault: Vault) -> None:
    paths = [
        "/",
        "/ocpi",
        "/ocpi/",
        "/ocpi/versions/x",
        "/ocpi/versions/..",
        "/ocpi/../etc/passwd",
        "/ocpi/2.2.1/locations",
        "/ocpi/2.2.1/credentials/x",
        "/ocpi/9.9",
        "/ocpi/9.9/credentials",
        "/static/app.js",
        "/favicon.ico",
        "/.env",
        "/ocpi/2.2.1/details/x",
        "/%2e%2e/%2e%2e/",
    ]

    async def scenario() -> None:
        async with invited(vault) as (_engine, invitation, client):
            base = invitation.versions_url.split("/ocpi/")[0]
            headers = {"Authorization": authorization_header(_token_a(invitation), True)}
            for path in paths:
                for hdrs in ({}, headers):
                    response = await client.get(base + path, headers=hdrs)
                    assert response.status_code in (404, 401), (path, response.status_code)
                    body = _envelope(response)
                    assert "data" not in body, path
            _assert_clean(vault, invitation)

    run(scenario(), timeout=20)


def test_unauthenticated_attempts_are_rate_limited(vault: Vault) -> None:
    async def scenario() -> None:
        async with invited(vault) as (_engine, invitation, client):
            good = {"Authorization": authorization_header(_token_a(invitation), True)}
            statuses = []
            for i in range(FAILED_AUTH_LIMIT + 5):
                bad = {"Authorization": authorization_header(f"guess-{i:04d}-abcdefgh", True)}
                statuses.append(
                    (await client.get(invitation.versions_url, headers=bad)).status_code
                )
            assert statuses[:FAILED_AUTH_LIMIT] == [401] * FAILED_AUTH_LIMIT
            assert set(statuses[FAILED_AUTH_LIMIT:]) == {429}
            # while the window lasts even the right token waits (no oracle for a guesser)
            limited = await client.get(invitation.versions_url, headers=good)
            assert limited.status_code == 429 and _envelope(limited)["status_code"] == 2000
            _assert_clean(vault, invitation)

    run(scenario(), timeout=30)


def test_token_lookup_is_hashed_and_compared_in_constant_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The TokenBook finds a grant by SHA-256 of the value (no early exit on a prefix) and
    confirms with hmac.compare_digest (tokens_equal)."""
    from app.core.ocpi import parse_authorization
    from app.core.tokens import Secret

    calls: list[tuple[str, str]] = []
    real = tokenbook_module.tokens_equal

    def spy(left: str, right: str) -> bool:
        calls.append((left, right))
        return real(left, right)

    monkeypatch.setattr(tokenbook_module, "tokens_equal", spy)
    book = tokenbook_module.TokenBook()
    secret = Secret("A-constant-time-token-0123456789", TokenRole.A)
    book.grant(secret, "peer", tokenbook_module.Stage.INVITE)
    found = book.identify(parse_authorization(authorization_header(secret.reveal(), True)))
    assert found.grant is not None and calls == [(secret.reveal(), secret.reveal())]
    calls.clear()
    # a near miss (same prefix) is never compared character by character
    assert (
        book.identify(parse_authorization("Token A-constant-time-token-012345678X")).grant is None
    )
    assert calls == []
    import inspect

    from app.core import tokens

    assert "hmac.compare_digest" in inspect.getsource(tokens.tokens_equal)


def test_endpoint_binds_loopback_by_default(vault: Vault) -> None:
    async def scenario() -> tuple[str, bool, str]:
        async with started_engine(vault) as engine:
            assert engine.server is not None
            sock_host = engine.server._bound[0]  # type: ignore[index]
            return sock_host, engine.server.wide_bind, engine.our_versions_url

    host, wide, url = run(scenario())
    assert host == "127.0.0.1" and not wide and url.startswith("http://127.0.0.1:")
    assert ServerConfig().host == "127.0.0.1"


def test_wide_bind_is_flagged_and_the_cli_warns(tmp_path: Path) -> None:
    """Bound to 0.0.0.0 the server says so, and `invite --listen 0.0.0.0:0` warns on stderr."""

    async def scenario() -> bool:
        from app.callback.tokenbook import TokenBook

        server = CallbackServer(TokenBook(), handler=None, config=ServerConfig(host="0.0.0.0"))  # type: ignore[arg-type]
        await server.start()
        try:
            return server.wide_bind
        finally:
            await server.stop()

    assert run(scenario()) is True
    env = {
        "PATH": "/usr/bin:/bin",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "OCPI_ONBOARD_PASSPHRASE": "hostile test passphrase",
    }
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "invite",
            "--listen",
            "0.0.0.0:0",
            "--wait",
            "0.2",
            "--vault",
            str(tmp_path / "v.db"),
            "--token-a-out",
            str(tmp_path / "a.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    assert "warning: our endpoint listens beyond this machine" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    token = (tmp_path / "a.txt").read_text().strip()
    assert not leaks(proc.stdout + proc.stderr, [token])
    assert proc.returncode == 1  # nobody registered within the wait


def test_refusals_echo_request_ids_but_never_a_token(vault: Vault) -> None:
    async def scenario() -> None:
        async with invited(vault) as (_engine, invitation, client):
            token = _token_a(invitation)
            encoded = base64.b64encode(token.encode()).decode()
            headers = {
                "Authorization": f"Token {encoded}x",
                "X-Request-ID": "req-1",
                "X-Correlation-ID": "corr-1",
            }
            response = await client.get(invitation.versions_url, headers=headers)
            assert response.status_code == 401
            assert response.headers["X-Request-ID"] == "req-1"
            assert response.headers["X-Correlation-ID"] == "corr-1"
            assert not leaks(response.text + str(response.headers), [token])

    run(scenario())


def test_server_module_names_its_limits() -> None:
    assert MAX_INBOUND_BODY == 64 * 1024
    assert server_module.FAILED_AUTH_LIMIT == FAILED_AUTH_LIMIT == 30
