"""Whole-process CLI: `register --json`, `check PEER --json` and `peers list --json` as fresh
processes, each beside a raw script doing the same work, alternating, in one run.

- register: `main.py register ... --no-verify --json` (the three requests: GET versions,
  GET details, POST credentials, while serving the partner's two callbacks: our versions
  and our version details) against a raw script with httpx + a bare aiohttp endpoint doing
  the same. Each run gets a fresh sandbox partner (fresh TOKEN_A) and a fresh copy of an
  empty vault (created once, so its creation is not timed; its unlock is).
- check: `main.py check PEER --json` against a raw script that unlocks the same vault
  (sqlite3 + scrypt + AES-GCM, the same key slot), decrypts TOKEN_C and GETs versions and
  version details with it.
- peers list: `main.py peers list --json` (200 partners) against a raw script that unlocks
  the vault the same way, SELECTs the partners and prints them as JSON.

The sandbox partner runs in this process on loopback. Target: every ratio <= 2.0x.

Both sides load cached bytecode: the raw scripts' libraries (httpx, aiohttp, cryptography)
come from site-packages' `__pycache__`, so the app's own modules are compiled into theirs
before the timing (`compile_app`), as an installed or packaged app has them. Without that, an
environment with PYTHONDONTWRITEBYTECODE=1 compiled ~90 app modules from source in every
app process and none in the raw one (~0.1 s a run: `check` 1.90x against 1.67x cached).

Run: .venv/bin/python benchmarks/cli_process.py [--runs 9] [--partners 200]
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.tokens import Secret, TokenRole, generate_token  # noqa: E402
from app.sandbox import SandboxPartner  # noqa: E402
from app.vault import PartnerRecord, Vault  # noqa: E402

TARGET = 2.0
PASSPHRASE = "cli benchmark passphrase"
IDENTITY = ["--country-code", "DE", "--party-id", "BEN", "--role", "CPO"]

RAW_REGISTER = '''\
"""Raw register: three requests with httpx, our two callbacks served by bare aiohttp."""
import asyncio, base64, json, secrets, sys
import httpx
from aiohttp import web


async def main(versions_url, token_a):
    token_b = secrets.token_urlsafe(32)
    base = {}

    def envelope(data):
        return {"data": data, "status_code": 1000, "status_message": "Success",
                "timestamp": "2026-01-01T00:00:00Z"}

    async def versions(request):
        return web.json_response(envelope([{"version": "2.2.1",
                                            "url": base["url"] + "/ocpi/2.2.1"}]))

    async def details(request):
        return web.json_response(envelope({"version": "2.2.1", "endpoints": [
            {"identifier": "credentials", "role": "SENDER",
             "url": base["url"] + "/ocpi/2.2.1/credentials"}]}))

    app = web.Application()
    app.router.add_get("/ocpi/versions", versions)
    app.router.add_get("/ocpi/2.2.1", details)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base["url"] = "http://127.0.0.1:%d" % site._server.sockets[0].getsockname()[1]
    auth = {"Authorization": "Token " + base64.b64encode(token_a.encode()).decode()}
    try:
        async with httpx.AsyncClient() as client:
            found = (await client.get(versions_url, headers=auth)).json()["data"]
            url = next(v["url"] for v in found if v["version"] == "2.2.1")
            endpoints = (await client.get(url, headers=auth)).json()["data"]["endpoints"]
            cred = next(e["url"] for e in endpoints if e["identifier"] == "credentials")
            body = {"token": token_b, "url": base["url"] + "/ocpi/versions", "roles": [
                {"role": "CPO", "country_code": "DE", "party_id": "BEN",
                 "business_details": {"name": "Bench"}}]}
            answer = (await client.post(cred, headers=auth, json=body)).json()
            assert answer["status_code"] == 1000, answer
            print(json.dumps({"status": "registered", "ocpi_version": "2.2.1"}))
    finally:
        await runner.cleanup()


asyncio.run(main(sys.argv[1], open(sys.argv[2]).read().strip()))
'''

RAW_UNLOCK = '''\
import base64, json, os, sqlite3, sys, unicodedata
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt


def unlock(path):
    """The vault's data key: scrypt over the passphrase slot, then AES-GCM unwrap."""
    db = sqlite3.connect(path)
    vault_id = db.execute("SELECT value FROM meta WHERE key = 'vault_id'").fetchone()[0]
    params, wrapped = db.execute(
        "SELECT params, wrapped FROM keyslots WHERE kind = 'passphrase'").fetchone()
    p = json.loads(params)
    kek = Scrypt(salt=base64.b64decode(p["salt"]), length=32, n=p["n"], r=p["r"],
                 p=p["p"]).derive(unicodedata.normalize("NFC", os.environ[
                     "OCPI_ONBOARD_PASSPHRASE"]).encode())
    aad = ("ocpi-onboard/keyslot/v1|passphrase|" + vault_id).encode()
    return db, AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], aad)
'''

RAW_CHECK = (
    RAW_UNLOCK
    + """
import httpx

db, key = unlock(sys.argv[1])
cc, pid = sys.argv[2].split("-")
partner_id, versions_url = db.execute(
    "SELECT id, versions_url FROM partners WHERE country_code = ? AND party_id = ?"
    " AND status = 'registered'", (cc, pid)).fetchone()
row_id, blob = db.execute(
    "SELECT id, ciphertext FROM credentials WHERE partner_id = ? AND role = 'C'"
    " AND state = 'active' ORDER BY id DESC", (partner_id,)).fetchone()
aad = f"ocpi-onboard/token/v1|{partner_id}|C|{row_id}".encode()
token_c = AESGCM(key).decrypt(blob[:12], blob[12:], aad).decode()
auth = {"Authorization": "Token " + base64.b64encode(token_c.encode()).decode()}
with httpx.Client() as client:
    found = client.get(versions_url, headers=auth).json()["data"]
    url = next(v["url"] for v in found if v["version"] == "2.2.1")
    details = client.get(url, headers=auth).json()["data"]
print(json.dumps({"status": "ok", "peer": sys.argv[2], "ocpi_version": details["version"],
                  "drift": []}))
"""
)

RAW_PEERS = (
    RAW_UNLOCK
    + """
db, key = unlock(sys.argv[1])
rows = db.execute(
    "SELECT id, country_code, party_id, business_name, roles, ocpi_version, status"
    " FROM partners ORDER BY country_code, party_id").fetchall()
print(json.dumps([{"id": r[0], "country_code": r[1], "party_id": r[2], "business_name": r[3],
                   "roles": json.loads(r[4]), "ocpi_version": r[5], "status": r[6]}
                  for r in rows]))
"""
)


async def run(command: list[str], env: dict[str, str]) -> tuple[float, bytes]:
    """Seconds from spawn to exit of a fresh process; its stdout. Fails on a non-zero exit."""
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{command[1:3]} exited {proc.returncode}: {err.decode()[-2000:]}")
    return elapsed, out


def compile_app() -> bool:
    """Cache the bytecode of the app's modules (written even under PYTHONDONTWRITEBYTECODE,
    which only stops the import system writing it; a fresh cache is read either way)."""
    return bool(compileall.compile_dir(ROOT / "app", quiet=1, workers=0))


def fill_partners(path: Path, count: int) -> None:
    with Vault.open(path, PASSPHRASE, use_keyring=False) as vault, vault.transaction():
        for i in range(count):
            vault.save_partner(
                PartnerRecord(
                    id=None,
                    country_code=("NL", "FR", "BE", "AT")[i % 4],
                    party_id=f"{i:03X}"[-3:],
                    business_name=f"Charging Company {i}",
                    roles=[{"role": "CPO"}],
                    versions_url=f"https://p{i}.example/ocpi/versions",
                    ocpi_version="2.2.1",
                    status="registered",
                )
            )


async def main(args: argparse.Namespace) -> int:
    py = sys.executable
    main_py = str(ROOT / "main.py")
    tmp = Path(tempfile.mkdtemp(prefix="ocpi-cli-bench-"))
    env = dict(
        os.environ,
        OCPI_ONBOARD_PASSPHRASE=PASSPHRASE,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_CACHE_HOME=str(tmp / "cache"),
    )
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    if not compile_app():
        raise RuntimeError("compiling the app's bytecode failed")
    for name, text in (("raw_register", RAW_REGISTER), ("raw_check", RAW_CHECK)):
        (tmp / f"{name}.py").write_text(text)
    (tmp / "raw_peers.py").write_text(RAW_PEERS)
    template = tmp / "empty.db"
    Vault.open(template, PASSPHRASE, use_keyring=False).close()
    times: dict[str, list[float]] = {
        k: []
        for k in (
            "register",
            "raw register",
            "check",
            "raw check",
            "peers list",
            "raw peers list",
        )
    }
    try:
        # The vault `check` and `peers list` read: one partner registered through the CLI,
        # against a sandbox that stays up, plus `partners` filler rows.
        token_a = Secret(generate_token(), TokenRole.A)
        check_vault = tmp / "check.db"
        shutil.copy(template, check_vault)
        fill_partners(check_vault, args.partners - 1)
        async with SandboxPartner(token_a, versions=("2.2.1",)) as keeper:
            token_file = tmp / "token_a"
            token_file.write_text(token_a.reveal())
            _t, out = await run(
                [
                    py,
                    main_py,
                    "register",
                    "--versions-url",
                    keeper.versions_url,
                    "--token-a-file",
                    str(token_file),
                    *IDENTITY,
                    "--json",
                    "--vault",
                    str(check_vault),
                ],
                env,
            )
            found = json.loads(out)["peer"]
            peer = f"{found['country_code']}-{found['party_id']}"
            subjects = {
                "check": [py, main_py, "check", peer, "--json", "--vault", str(check_vault)],
                "raw check": [py, str(tmp / "raw_check.py"), str(check_vault), peer],
                "peers list": [py, main_py, "peers", "list", "--json", "--vault", str(check_vault)],
                "raw peers list": [py, str(tmp / "raw_peers.py"), str(check_vault)],
            }
            for round_ in range(args.runs + 1):  # round 0 warms the disk cache
                pairs = [("register", "raw register"), ("check", "raw check")]
                pairs.append(("peers list", "raw peers list"))
                for app_name, raw_name in pairs:
                    order = [app_name, raw_name] if round_ % 2 else [raw_name, app_name]
                    for name in order:
                        if "register" in name:
                            elapsed = await register_once(name, tmp, template, env, round_)
                        else:
                            elapsed, _out = await run(subjects[name], env)
                        if round_:
                            times[name].append(elapsed)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"whole-process CLI, fresh processes, {args.runs} runs each, alternating;"
        f" {args.partners} partners in the vault; python {sys.version.split()[0]};"
        f" app bytecode cached; load {os.getloadavg()[0]:.2f}"
    )
    print(f"  {'command':28} {'app':>9} {'raw':>9} {'ratio':>6}")
    worst = 0.0
    for app_name, raw_name in (
        ("register", "raw register"),
        ("check", "raw check"),
        ("peers list", "raw peers list"),
    ):
        a, r = statistics.median(times[app_name]), statistics.median(times[raw_name])
        worst = max(worst, a / r)
        label = app_name + (" --json" if app_name != "register" else " --no-verify --json")
        print(f"  {label:28} {a * 1000:7.0f}ms {r * 1000:7.0f}ms {a / r:5.2f}x")
    verdict = "within" if worst <= TARGET else "OVER"
    print(f"[2] whole-process CLI, worst ratio {worst:.2f}x (target <= {TARGET}x: {verdict})")
    return 0


async def register_once(
    name: str, tmp: Path, template: Path, env: dict[str, str], round_: int
) -> float:
    """One registration against a fresh sandbox partner (fresh TOKEN_A, fresh vault copy)."""
    token_a = Secret(generate_token(), TokenRole.A)
    token_file = tmp / "token_a_run"
    token_file.write_text(token_a.reveal())
    async with SandboxPartner(token_a, versions=("2.2.1",)) as sandbox:
        if name == "raw register":
            command = [sys.executable, str(tmp / "raw_register.py"), sandbox.versions_url]
            command.append(str(token_file))
        else:
            vault = tmp / f"register-{round_}.db"
            shutil.copy(template, vault)
            command = [sys.executable, str(ROOT / "main.py"), "register"]
            command += ["--versions-url", sandbox.versions_url, "--token-a-file", str(token_file)]
            command += [*IDENTITY, "--no-verify", "--json", "--vault", str(vault)]
        elapsed, _out = await run(command, env)
    return elapsed


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--partners", type=int, default=200)
    sys.exit(asyncio.run(main(parser.parse_args())))
