"""Canary scan of the team vault: CLI flows on PostgreSQL with canary tokens, then the
outputs and a `pg_dump` of the database (everything the server holds) are scanned for
every canary, raw and Base64. The server must see ciphertext, fingerprints and HMAC
lookups only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.vault import TeamVault
from tests.canary.canary import MARK, scan
from tests.canary.test_canary_cli import IDENTITY, Lab
from tests.cli.helpers import PASSPHRASE


def test_canary_scan_of_a_team_vault_dump(tmp_path: Path, pg_cluster: Any, pg_url: str) -> None:
    lab = Lab(tmp_path)
    v = ["--vault", pg_url]
    alice = {"OCPI_ONBOARD_MEMBER": "alice"}
    personal = ["--vault", str(lab.home / "vaults" / "personal.db")]
    second, second_token, second_url = lab.sandbox("second sandbox")
    try:
        lab.run(
            "register personal",
            *("register", *personal, "--versions-url", second_url),
            *("--token-a-file", str(second_token), *IDENTITY, "--json"),
        )
    finally:
        lab.stop(second)
    lab.run("team init", "team", "init", *v, **alice)
    lab.run("migrate", "vault", "migrate", "--to", pg_url, *personal, "--json", **alice)
    sandbox, token_a, url = lab.sandbox("sandbox")
    try:
        lab.run(
            "register",
            *("register", *v, "--versions-url", url, "--token-a-file", str(token_a)),
            *(*IDENTITY, "--json", "-v"),
            **alice,
        )
        lab.run("rotate", "rotate", "NL-SBX", *v, "--json", "-v", **alice)
        lab.run("check", "check", "NL-SBX", *v, "--json", **alice)
        lab.run("unregister", "unregister", "NL-SBX", *v, "-v", **alice)
    finally:
        lab.stop(sandbox)
    lab.run("audit", "audit", "list", *v, "--json", **alice)
    lab.run("team list", "team", "list", *v, **alice)

    with TeamVault.open_url(pg_url, PASSPHRASE, "alice") as team:
        stored = [team.reveal(c.id).reveal() for c in team.tokens(None)]
    canaries = lab.canaries()
    assert stored and all(value.startswith(MARK) for value in stored), "tokens are not canaries"
    assert set(stored) <= set(canaries)
    outputs: dict[str, bytes | str] = {**lab.outputs, "pg_dump": pg_cluster.dump(pg_url)}
    found = scan(outputs, canaries)
    assert not found, found
