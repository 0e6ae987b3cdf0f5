"""Honest tolerance: what the app forgives a partner is said, with the partner's exact value,
in the result's warnings (CLI JSON), the run's transcript and the events; and `--timeout`
bounds every request, the credentials POST included.

Real loopback partners (ScriptedServer) and a real vault file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from app.cli import build_parser
from app.cli.common import http_settings
from app.core.tokens import Secret, TokenRole, generate_token
from app.vault import Vault
from tests.engine.conftest import started_engine
from tests.support.aio import run
from tests.support.servers import ScriptedServer, never, partner_routes

PARTNER_ROLE = {
    "role": "CPO",
    "party_id": "TOL",
    "country_code": "NL",
    "business_details": {"name": "Tolerated BV"},
}


def _answer(body: dict[str, Any]) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response(body)

    return handler


def test_string_status_code_and_missing_timestamp_land_in_warnings(vault: Vault) -> None:
    async def scenario() -> None:
        async with ScriptedServer() as server:
            partner_routes(server, "2.2.1")
            server.on(  # versions with "status_code": "1000", a string
                "GET",
                "/ocpi/versions",
                _answer(
                    {
                        "status_code": "1000",
                        "status_message": "Success",
                        "timestamp": "2026-01-01T00:00:00Z",
                        "data": [{"version": "2.2.1", "url": server.url("/ocpi/2.2.1")}],
                    }
                ),
            )
            token_c = generate_token()

            async def post(request: web.Request) -> web.StreamResponse:
                body = {  # no timestamp; the object wrapped in a list
                    "status_code": 1000,
                    "data": [
                        {
                            "token": token_c,
                            "url": server.url("/ocpi/versions"),
                            "roles": [PARTNER_ROLE],
                        }
                    ],
                }
                return web.json_response(body)

            server.on("POST", "/ocpi/2.2.1/credentials", post)
            async with started_engine(vault) as engine:
                token_a = Secret(generate_token(), TokenRole.A)
                registration = engine.registration(server.url("/ocpi/versions"), token_a)
                discovery = await registration.discover()
                early = [w.detail for w in discovery.warnings if w.code == "ocpi.tolerated"]
                assert early == ['versions: status_code "1000" is a string, not a number']
                result = await registration.register()
                await registration.aclose()
        assert result.status == "registered", result.diagnosis
        payload = result.to_json()
        tolerated = [w["message"] for w in payload["warnings"] if w["code"] == "ocpi.tolerated"]
        assert any('status_code "1000" is a string' in m for m in tolerated), tolerated
        assert any("credentials POST answer: timestamp missing" in m for m in tolerated)
        assert any("wrapped in a one-element list" in m for m in tolerated)
        transcript = json.dumps(vault.transcript(result.run_id))
        assert 'status_code \\"1000\\" is a string' in transcript
        assert token_c not in transcript and token_c not in json.dumps(payload)

    run(scenario())


def test_cli_timeout_bounds_the_post_and_warns_below_a_minute(vault: Vault) -> None:
    parser = build_parser()
    args = parser.parse_args(
        [
            "register",
            "--versions-url",
            "http://127.0.0.1:1/ocpi/versions",
            "--token-a-file",
            "-",
            "--country-code",
            "DE",
            "--party-id",
            "ONB",
            "--role",
            "EMSP",
            "--timeout",
            "1",
        ]
    )
    settings = http_settings(args)
    assert settings.write_timeout == 1 and settings.request_timeout == 1
    help_text = parser._subparsers._group_actions[0].choices["register"].format_help()  # type: ignore[union-attr]
    assert "POST" in " ".join(help_text.split())

    async def scenario() -> None:
        async with ScriptedServer() as server:
            partner_routes(server, "2.2.1", never(4))
            async with started_engine(vault, http=settings) as engine:
                token_a = Secret(generate_token(), TokenRole.A)
                return await engine.register(server.url("/ocpi/versions"), token_a)

    result = run(scenario(), timeout=40)
    assert result.status == "failed"
    assert result.diagnosis is not None and result.diagnosis.code == "net.post_timeout"
    codes = [w.code for w in result.warnings]
    assert "net.short_post_timeout" in codes
    assert "1 s" in next(w.message for w in result.warnings if w.code == "net.short_post_timeout")


def test_timeout_must_be_positive(tmp_path: Path) -> None:
    from app.cli.common import CliError

    args = build_parser().parse_args(["check", "NL-ABC", "--timeout", "0"])
    with pytest.raises(CliError, match="above 0"):
        http_settings(args)
