"""Guard for the engine start import cut (issue 13, target 1: resident memory).

Starting the engine and listening on our endpoint loads neither httpx nor pydantic nor the
OCPI models, nor aiohttp's server (the sockets are bound and listening): they load when a
partner first calls (or the engine first calls out). Not timed: a fresh interpreter starts a real engine over a real vault,
reports which heavy modules are loaded while the endpoint listens, then real HTTP requests
(urllib, so the probe itself loads no httpx) show the endpoint answers as before.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.probe import run_probe

HEAVY = (
    "httpx",
    "httpcore",
    "pydantic",
    "pydantic_core",
    "app.core.models",
    "app.core.handshake",
    "aiohttp",
)

PROBE = """
import asyncio, base64, json, sys, urllib.request
from pathlib import Path

from app.core.tokens import Secret, TokenRole
from app.engine import Engine, Identity
from app.vault import Vault

HEAVY = {heavy!r}


def loaded():
    return sorted(m for m in sys.modules if m.split(".")[0] in HEAVY or m in HEAVY)


def call(method, url, token, body=None):
    header = "Token " + base64.b64encode(token.encode()).decode()
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={{"Authorization": header}})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, json.loads(resp.read())


async def main(path):
    vault = Vault.open(Path(path), passphrase="start imports", use_keyring=False)
    engine = Engine(vault, Identity("DE", "ONB", ("EMSP",), "Onboard Test GmbH"))
    await engine.start()
    out = {{"listening": engine.server is not None, "at_start": loaded()}}
    out["serving_at_start"] = engine.server.serving
    try:
        server = engine.server
        token_b = Secret("b" * 36, TokenRole.B)
        engine.receiver.expect_sender("partner:1", token_b, "2.2.1")
        status, body = await asyncio.to_thread(
            call, "GET", server.credentials_url("2.2.1"), token_b.reveal()
        )
        data = body.get("data") or {{}}
        roles = data.get("roles") or [{{}}]
        out["get"] = [
            status,
            body.get("status_code"),
            data.get("token") == token_b.reveal(),
            data.get("url") == engine.our_versions_url,
            roles[0].get("party_id"),
        ]
        invitation = engine.receiver.invite("partner:2")
        status, body = await asyncio.to_thread(
            call, "POST", server.credentials_url("2.2.1"), invitation.our_token.reveal(), {{}}
        )
        out["post_empty"] = [status, body.get("status_code")]
        out["serving_after"] = server.serving
        out["after"] = loaded()
    finally:
        await engine.aclose()
        vault.close()
    print("RESULT=" + json.dumps(out))


asyncio.run(main(sys.argv[1]))
"""


def test_engine_listens_without_http_client_or_models(tmp_path: Path) -> None:
    out = run_probe(PROBE.format(heavy=HEAVY), str(tmp_path / "vault.db"))
    assert out["listening"] is True
    assert out["at_start"] == []
    assert out["serving_at_start"] is False  # listening only: the kernel queues a call
    # the first request loads what it needs and answers as before: our credentials
    assert out["get"] == [200, 1000, True, True, "ONB"]
    # a POST with no credentials: refused in OCPI terms (HTTP 200, a 2xxx status code)
    assert out["post_empty"][0] == 200
    assert 2000 <= out["post_empty"][1] < 3000
    assert "pydantic" in out["after"]
    assert "aiohttp" in out["after"] and out["serving_after"] is True
