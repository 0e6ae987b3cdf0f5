"""`--self-test`: sandbox partner, full handshake and vault in a temporary directory.

Both sides of the credentials module are rehearsed: we register with the sandbox partner
(Sender), then invite the demo sender (app.engine.demo_sender), which registers with us
(Receiver). Neither TOKEN_A may appear in the vault's files.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from app.cli.common import EXIT_FAILED, EXIT_OK


async def self_test() -> int:
    """Sandbox partner + full Sender handshake + invite rehearsal + vault in a temp dir."""
    from app.core.http import HttpSettings
    from app.core.tokens import Secret, TokenRole, generate_token
    from app.engine import Engine, Identity
    from app.sandbox import SandboxPartner
    from app.vault import Vault

    with tempfile.TemporaryDirectory(prefix="ocpi-onboard-selftest-") as tmp:
        os.environ.setdefault("OCPI_ONBOARD_PASSPHRASE", "self-test-passphrase")
        token_a = Secret(generate_token(), TokenRole.A)
        secrets = [token_a]
        invited: Any = None
        async with SandboxPartner(token_a, http_settings=HttpSettings()) as sandbox:
            with Vault.open(
                Path(tmp) / "vault.db", passphrase="self-test-passphrase", use_keyring=False
            ) as vault:
                async with Engine(vault, Identity("NL", "TST", ("CPO",), "Self test")) as engine:
                    result = await engine.register(sandbox.versions_url, token_a)
                    if result.ok and result.partner_id is not None:
                        check = await engine.check(result.partner_id)
                        if not check.ok:
                            result = check
                    if result.ok:
                        invited = await _rehearse_invite(engine, secrets)
                        if not invited.ok:
                            result = invited
            raw = b"".join(p.read_bytes() for p in Path(tmp).iterdir() if p.is_file())
            leaked = any(s.reveal().encode() in raw for s in secrets)
        if not result.ok or result.mutual_discovery != "complete" or leaked:
            reason = (
                result.diagnosis.message
                if result.diagnosis
                else ("token found in vault file" if leaked else "mutual discovery incomplete")
            )
            print(f"self-test FAILED: {reason}", file=sys.stderr)
            return EXIT_FAILED
        print(
            f"self-test OK: registered with sandbox on OCPI {result.ocpi_version}, "
            f"TOKEN_C {result.token_c_fingerprint}, mutual discovery {result.mutual_discovery}; "
            f"invitation accepted by the demo sender on OCPI {invited.ocpi_version}"
        )
        return EXIT_OK


async def _rehearse_invite(engine: Any, secrets: list[Any]) -> Any:
    """We invite, the demo sender registers with us; the first failure, else our result."""
    from app.core.http import HttpSettings
    from app.engine.demo_sender import register_demo_sender

    invitation = await engine.invite()
    secrets.append(invitation.token_a)
    waiting = asyncio.ensure_future(engine.wait_for_registration(invitation, 30))
    sent = await register_demo_sender(invitation.versions_url, invitation.token_a, HttpSettings())
    if not sent.ok:
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        return sent
    return await waiting
