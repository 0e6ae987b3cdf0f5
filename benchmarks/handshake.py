"""Benchmark: a full Sender handshake through the engine vs a minimal raw-httpx script.

Both run against the same sandbox partner on loopback, in one process, alternating, and
both serve the sandbox's callbacks (the engine with its embedded endpoint; the raw script
with a bare aiohttp endpoint), so the work on the wire is identical: GET versions, GET
details, POST credentials (during which the sandbox GETs our versions and details).
The raw script is allowed exactly the durable writes the protocol needs, in a SQLite file
configured like the vault (WAL, synchronous=FULL): TOKEN_B and the run's position committed
before the POST, TOKEN_C and TOKEN_A consumed committed after it (two durable commits).
Prints the median of each, the ratio (target <= 1.15x), and the engine's outbound request
and connection counts (target 3 on 1).

Run: .venv/bin/python benchmarks/handshake.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sqlite3
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from aiohttp import web

from app.core.ocpi import build_envelope
from app.core.tokens import Secret, TokenRole, generate_token
from app.engine import Engine, Identity
from app.sandbox import SandboxPartner
from app.vault import Vault

US = Identity("DE", "BEN", ("EMSP",), "Bench")
# The raw script gets a TLS context built once, as the engine caches its own: loading the CA
# store costs ~15 ms per client, which would otherwise dominate a loopback handshake.
RAW_SSL = ssl.create_default_context()


RAW_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS tokens (id INTEGER PRIMARY KEY, run TEXT, role TEXT,"
    " value TEXT, state TEXT)",
    "CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, state TEXT)",
)


def raw_store(path: Path) -> sqlite3.Connection:
    """The raw script's store: a SQLite file as durable as the vault (WAL, synchronous=FULL)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=wal")
    db.execute("PRAGMA synchronous=FULL")
    for statement in RAW_SCHEMA:
        db.execute(statement)
    return db


def durable(db: sqlite3.Connection, statements: list[tuple[str, tuple[str, ...]]]) -> None:
    """One durable commit of `statements`."""
    db.execute("BEGIN IMMEDIATE")
    for sql, params in statements:
        db.execute(sql, params)
    db.execute("COMMIT")


async def raw_handshake(versions_url: str, token_a: str, db: sqlite3.Connection) -> None:
    """A minimal script: two durable commits, no transcript, no validation beyond the token."""
    token_b = generate_token()
    run_id = generate_token()[:16]
    app = web.Application()
    base = {}

    async def versions(request: web.Request) -> web.Response:
        return web.json_response(
            build_envelope([{"version": "2.2.1", "url": base["url"] + "/ocpi/2.2.1"}])
        )

    async def details(request: web.Request) -> web.Response:
        return web.json_response(
            build_envelope(
                {
                    "version": "2.2.1",
                    "endpoints": [
                        {
                            "identifier": "credentials",
                            "role": "SENDER",
                            "url": base["url"] + "/ocpi/2.2.1/credentials",
                        }
                    ],
                }
            )
        )

    app.router.add_get("/ocpi/versions", versions)
    app.router.add_get("/ocpi/2.2.1", details)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base["url"] = f"http://127.0.0.1:{port}"
    auth = {"Authorization": "Token " + base64.b64encode(token_a.encode()).decode()}
    try:
        async with httpx.AsyncClient(verify=RAW_SSL) as client:
            versions_list = (await client.get(versions_url, headers=auth)).json()["data"]
            url = next(v["url"] for v in versions_list if v["version"] == "2.2.1")
            endpoints = (await client.get(url, headers=auth)).json()["data"]["endpoints"]
            cred_url = next(e["url"] for e in endpoints if e["identifier"] == "credentials")
            body = {
                "token": token_b,
                "url": base["url"] + "/ocpi/versions",
                "roles": US.credentials_roles(),
            }
            durable(  # commit 1: TOKEN_B and the run's position, before the POST
                db,
                [
                    (
                        "INSERT INTO tokens (run, role, value, state) VALUES (?, 'B', ?, 'active')",
                        (run_id, token_b),
                    ),
                    ("INSERT INTO runs (id, state) VALUES (?, 'token_b_stored')", (run_id,)),
                ],
            )
            answer = (await client.post(cred_url, headers=auth, json=body)).json()
            assert answer["status_code"] == 1000, answer
            durable(  # commit 2: TOKEN_C stored, TOKEN_A consumed, the run registered
                db,
                [
                    (
                        "INSERT INTO tokens (run, role, value, state) VALUES (?, 'C', ?, 'active')",
                        (run_id, answer["data"]["token"]),
                    ),
                    (
                        "INSERT INTO tokens (run, role, value, state) VALUES (?, 'A', ?,"
                        " 'consumed')",
                        (run_id, token_a),
                    ),
                    ("UPDATE runs SET state = 'registered' WHERE id = ?", (run_id,)),
                ],
            )
    finally:
        await runner.cleanup()


async def engine_handshake(vault: Vault, versions_url: str, token_a: Secret) -> tuple[int, int]:
    async with Engine(vault, US) as engine:
        reg = engine.registration(versions_url, token_a, ocpi_version="2.2.1", verify=False)
        result = await reg.run()
        assert result.status == "registered", result.diagnosis
        assert reg._http is not None
        return reg._http.requests_sent, reg._http.connections_opened


async def main(rounds: int) -> None:
    engine_times: list[float] = []
    raw_times: list[float] = []
    counts: tuple[int, int] = (0, 0)
    with tempfile.TemporaryDirectory() as tmp:
        vault = Vault.open(Path(tmp) / "bench.db", passphrase="bench", use_keyring=False)
        raw_db = raw_store(Path(tmp) / "raw.db")
        try:
            for i in range(rounds + 1):  # round 0 warms up imports and caches
                for which in ("engine", "raw") if i % 2 == 0 else ("raw", "engine"):
                    token_a = Secret(generate_token(), TokenRole.A)
                    async with SandboxPartner(token_a, versions=("2.2.1",)) as sandbox:
                        t0 = time.perf_counter()
                        if which == "engine":
                            counts = await engine_handshake(vault, sandbox.versions_url, token_a)
                        else:
                            await raw_handshake(sandbox.versions_url, token_a.reveal(), raw_db)
                        elapsed = time.perf_counter() - t0
                    if i > 0:
                        (engine_times if which == "engine" else raw_times).append(elapsed)
        finally:
            vault.close()
            raw_db.close()
    e, r = statistics.median(engine_times), statistics.median(raw_times)
    print(
        json.dumps(
            {
                "rounds": rounds,
                "engine_median_ms": round(e * 1000, 2),
                "raw_httpx_median_ms": round(r * 1000, 2),
                "ratio": round(e / r, 3),
                "target_ratio": 1.15,
                "raw_durable_commits": 2,
                "engine_outbound_requests": counts[0],
                "engine_connections": counts[1],
                "target": "3 requests on 1 connection",
            },
            indent=2,
        )
    )
    verdict = "within" if e / r <= 1.15 else "OVER"
    print(
        f"[3] engine in process / raw with two durable commits: {e / r:.2f}x"
        f" (target <= 1.15x: {verdict}); {counts[0]} requests on {counts[1]} connection(s)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", "30")))
    asyncio.run(main(parser.parse_args().rounds))
