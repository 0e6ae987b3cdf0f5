"""A demo Sender that registers with our invitation: the invite rehearsal's other side.

The sandbox partner (app.sandbox) plays a Receiver; to rehearse an invitation someone has
to play the Sender. This runs a second engine with a throwaway vault in a temporary
directory, registers with our versions URL and TOKEN_A, and deletes everything after. Used
by the Receiver wizard's sandbox path and by `--self-test`. It lives in the engine, not in
app.sandbox, because it IS an engine (a registration end to end) and app.sandbox may not
import the engine (the engine starts sandboxes: docs/architecture.md, "Layers").
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from pathlib import Path

from app.core.http import HttpSettings
from app.core.tokens import Secret
from app.engine.engine import Engine
from app.engine.results import Identity, RunResult
from app.vault import Vault, derive_key

DEMO_SENDER = Identity("DE", "DMO", ("EMSP",), "Demo Mobility (sandbox eMSP)")


async def register_demo_sender(versions_url: str, token_a: Secret, http: HttpSettings) -> RunResult:
    """Register DEMO_SENDER with `versions_url` using `token_a`; the demo vault is gone after."""
    loop = asyncio.get_running_loop()
    derived = await loop.run_in_executor(None, derive_key, secrets.token_urlsafe(24), None)
    with tempfile.TemporaryDirectory(prefix="ocpi-onboard-demo-") as tmp:
        vault = Vault.open(Path(tmp) / "demo-partner.db", derived, use_keyring=False)
        try:
            async with Engine(vault, DEMO_SENDER, http=http) as engine:
                return await engine.register(versions_url, token_a)
        finally:
            vault.close()
