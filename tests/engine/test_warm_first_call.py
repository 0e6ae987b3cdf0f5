"""After the warm-up (app/engine/warm.py) the first call out loads nothing and builds no
validator on the loop's thread (issue 13: the session's first handshake stalled the window
on anyio's backend, ~30 ms, and on pydantic's first model build, 14-30 ms).

Run in a fresh interpreter (what is loaded is process-wide state): a real sandbox partner
on loopback, a real transport made by `make_client`, real requests; nothing is timed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import asyncio, json, sys
from app.core.http import HttpSettings, make_client
from app.core.tokens import Secret, TokenRole, generate_token
from app.engine.warm import warm_first_call


async def main():
    await warm_first_call(HttpSettings())
    import httpx
    from app.core import models
    from app.sandbox import SandboxPartner

    built = all(
        m.__pydantic_complete__
        for m in (models.Version, models.VersionDetails, models.Credentials, models._Wire211)
    )
    sandbox = SandboxPartner(Secret(generate_token(), TokenRole.A), http_settings=HttpSettings())
    await sandbox.start()
    before = set(sys.modules)
    transport = make_client(HttpSettings())
    answer = await transport.handle_async_request(httpx.Request("GET", sandbox.versions_url))
    await answer.aread()
    loaded = sorted(set(sys.modules) - before)
    await transport.aclose()
    await sandbox.stop()
    print(json.dumps({"built": built, "status": answer.status_code, "loaded": loaded}))


asyncio.run(main())
"""


def test_the_first_call_after_the_warm_up_loads_nothing_more() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["status"] == 401  # a real answer: the sandbox refuses a call without a token
    assert seen["built"] is True  # the OCPI models' validators were built ahead
    assert seen["loaded"] == []  # anyio's backend, sniffio, ...: all loaded ahead
