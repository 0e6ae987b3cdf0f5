"""`peers list/show --json` say the truth about a partner's health (docs/cli-contract.md).

Real processes: a `sandbox` with a fault, `register` into a vault file, then `peers`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import as_json, cli, register, start_sandbox, token_a_file

IDENTITY = ["--country-code", "DE", "--party-id", "ONB", "--role", "EMSP"]
CONTRACT_KEYS = {
    "id",
    "country_code",
    "party_id",
    "roles",
    "ocpi_version",
    "status",
    "health",
    "warnings",
}


@pytest.mark.parametrize(
    ("fault", "health", "code"),
    [
        ("none", "ok", None),
        ("401-after-registration", "failing", "token.c_rejected"),
        ("no-callback", "warning", "reg.discovery_incomplete"),
    ],
)
def test_peers_json_carries_health_and_warnings(
    tmp_path: Path, fault: str, health: str, code: str | None
) -> None:
    token_file, token_a = token_a_file(tmp_path)
    vault = str(tmp_path / "vault.db")
    sandbox = start_sandbox(tmp_path, token_file, "--fault", fault)
    try:
        url = sandbox.first_line()
        reg = register(tmp_path, vault, url, token_file, IDENTITY)
        assert reg.returncode == 0, reg.stderr
        listed = cli(tmp_path, "peers", "list", "--json", "--vault", vault)
        shown = cli(tmp_path, "peers", "show", "NL-SBX", "--json", "--vault", vault)
        text = cli(tmp_path, "peers", "show", "NL-SBX", "--vault", vault)
    finally:
        sandbox.stop()
    rows = as_json(listed)
    assert len(rows) == 1
    one = as_json(shown)
    for partner in (rows[0], one):
        assert set(partner) >= CONTRACT_KEYS
        assert partner["health"] == health
        codes = [w["code"] for w in partner["warnings"]]
        assert all(set(w) >= {"code", "message"} and w["message"] for w in partner["warnings"])
        if code is None:
            assert codes == []
        else:
            assert codes[0] == code
        # a partner registered through a separate `sandbox` process is not marked as ours
        assert partner["sandbox"] is False
    if code is not None:
        assert one["warnings"][0]["message"] in text.stdout
        assert f"fix: {one['warnings'][0]['hint']}" in text.stdout
    assert token_a not in listed.stdout + shown.stdout + text.stdout
