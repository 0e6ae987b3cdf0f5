"""`--self-test`: sandbox partner, full handshake and vault in a temporary directory."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from app.cli.common import EXIT_FAILED, EXIT_OK


async def self_test() -> int:
    """Sandbox partner + full Sender handshake + vault in a temporary directory."""
    from app.core.http import HttpSettings
    from app.core.tokens import Secret, TokenRole, generate_token
    from app.engine import Engine, Identity
    from app.sandbox import SandboxPartner
    from app.vault import Vault

    with tempfile.TemporaryDirectory(prefix="ocpi-onboard-selftest-") as tmp:
        os.environ.setdefault("OCPI_ONBOARD_PASSPHRASE", "self-test-passphrase")
        token_a = Secret(generate_token(), TokenRole.A)
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
            raw = b"".join(p.read_bytes() for p in Path(tmp).iterdir() if p.is_file())
            leaked = token_a.reveal().encode() in raw
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
            f"TOKEN_C {result.token_c_fingerprint}, mutual discovery {result.mutual_discovery}"
        )
        return EXIT_OK
