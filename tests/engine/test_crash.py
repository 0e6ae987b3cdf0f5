"""Crash safety: a real CLI handshake SIGKILLed at each step; the vault reopens, shows the
run's position, and resume or clean-up ends consistent with every token accounted for."""

from __future__ import annotations

import secrets
import signal
import time
from pathlib import Path

import pytest

from app.core.tokens import TokenRole
from app.vault import Direction, TokenState, Vault
from tests.cli.helpers import PASSPHRASE, Background, as_json, cli, cli_env

IDENTITY = ["--country-code", "DE", "--party-id", "ONB", "--role", "EMSP"]
SENDER_STEPS = [
    "new",
    "versions_fetched",
    "details_fetched",
    "token_b_stored",
    "credentials_posted",
    "registered",
]
ROTATION_STEPS = ["token_stored", "put_sent", "updated"]


@pytest.fixture
def sandbox(tmp_path: Path):  # type: ignore[no-untyped-def]
    token_file = tmp_path / "token_a"
    token_file.write_text(secrets.token_urlsafe(32))
    proc = Background(
        tmp_path, "sandbox", "--ocpi-version", "2.2.1", "--token-a-file", str(token_file)
    )
    url = proc.first_line()
    yield url, token_file
    proc.stop()


def _open(path: Path) -> Vault:
    return Vault.open(path, passphrase=PASSPHRASE, use_keyring=False)


def _accounted(vault: Vault, partner_id: int) -> None:
    """No token left pending; at most one active token per role and direction."""
    tokens = vault.tokens(partner_id)
    assert not [c for c in tokens if c.state == TokenState.PENDING and c.role != TokenRole.A], (
        tokens
    )
    active = [(c.role, c.direction) for c in tokens if c.state == TokenState.ACTIVE]
    assert len(active) == len(set(active))


def _register(home: Path, vault: Path, url: str, token_file: Path, kill_at: str | None = None):  # type: ignore[no-untyped-def]
    env = cli_env(home, **({"OCPI_ONBOARD_KILL_AT": kill_at} if kill_at else {}))
    return cli(
        home,
        "register",
        "--vault",
        str(vault),
        "--versions-url",
        url,
        "--token-a-file",
        str(token_file),
        *IDENTITY,
        "--json",
        env=env,
    )


@pytest.mark.parametrize("step", SENDER_STEPS)
@pytest.mark.parametrize("action", ["resume", "cleanup"])
def test_sender_killed_at_each_step(tmp_path: Path, sandbox, step: str, action: str) -> None:  # type: ignore[no-untyped-def]
    url, token_file = sandbox
    vault_path = tmp_path / "v.db"
    killed = _register(tmp_path, vault_path, url, token_file, step)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert f"KILLED AT {step}" in killed.stdout

    listing = cli(tmp_path, "runs", "list", "--json", "--vault", str(vault_path))
    runs = as_json(listing)
    assert len(runs) == 1 and runs[0]["state"] == step
    assert step in runs[0]["description"]

    done = cli(tmp_path, "runs", action, runs[0]["run_id"], "--json", "--vault", str(vault_path))
    assert done.returncode in (0, 1), done.stderr
    with _open(vault_path) as vault:
        assert not vault.runs(unfinished_only=True)
        partner_id = vault.runs()[0].partner_id
        assert partner_id is not None
        registered = [p for p in vault.partners() if p.status == "registered"]
        if action == "resume" or step == "registered":
            assert [p.ref for p in registered] == ["NL-SBX"], done.stdout + done.stderr
            _accounted(vault, registered[0].id)  # type: ignore[arg-type]
            kinds = {
                (c.role, c.direction)
                for c in vault.tokens(registered[0].id, state=TokenState.ACTIVE)
            }  # type: ignore[arg-type]
            assert kinds == {(TokenRole.B, Direction.INBOUND), (TokenRole.C, Direction.OUTBOUND)}
        else:
            assert not registered
            _accounted(vault, partner_id)
            a = vault.tokens(partner_id, role=TokenRole.A)
            assert a and a[0].state == TokenState.PENDING  # unspent: a later attempt may use it
    if action == "cleanup" and step != "registered":
        again = _register(tmp_path, vault_path, url, token_file)
        assert again.returncode == 0, again.stderr


def test_killed_while_partner_processes_the_post(tmp_path: Path) -> None:
    """Killed mid-POST; the partner registered us anyway (TOKEN_C lost): resume finds TOKEN_A
    dead, retires every token and says so."""
    token_file = tmp_path / "token_a"
    token_file.write_text(secrets.token_urlsafe(32))
    sb = Background(
        tmp_path,
        "sandbox",
        "--ocpi-version",
        "2.2.1",
        "--token-a-file",
        str(token_file),
        "--fault",
        "slow",
        "--slow-seconds",
        "0.8",
    )
    try:
        url = sb.first_line()
        vault_path = tmp_path / "v.db"
        proc = Background(
            tmp_path,
            "register",
            "--vault",
            str(vault_path),
            "--versions-url",
            url,
            "--token-a-file",
            str(token_file),
            *IDENTITY,
            "--json",
        )
        proc.wait_stderr(lambda line: "credentials_posted" in line)
        # The POST leaves right after that state is stored; the sandbox holds it 0.8 s before
        # calling us back, so a kill 0.3 s later lands while the partner processes it.
        time.sleep(0.3)
        proc.proc.send_signal(signal.SIGKILL)
        proc.stop()
        # The partner finishes: its call back to us fails (we are dead) -> 3001, TOKEN_A alive.
        called = sb.wait_stderr(lambda line: "sandbox called back GET" in line)
        assert called.rstrip().endswith("-> None"), called
        runs = as_json(cli(tmp_path, "runs", "list", "--json", "--vault", str(vault_path)))
        assert runs[0]["state"] == "credentials_posted"
        done = cli(
            tmp_path, "runs", "resume", runs[0]["run_id"], "--json", "--vault", str(vault_path)
        )
        assert done.returncode == 0, done.stderr
        assert as_json(done)["status"] == "registered"
    finally:
        sb.stop()
    with _open(tmp_path / "v.db") as vault:
        partner = vault.partner("NL-SBX")
        _accounted(vault, partner.id)  # type: ignore[arg-type]


@pytest.mark.parametrize("step", ROTATION_STEPS)
def test_rotation_killed_at_each_step(tmp_path: Path, sandbox, step: str) -> None:  # type: ignore[no-untyped-def]
    url, token_file = sandbox
    vault_path = tmp_path / "v.db"
    assert _register(tmp_path, vault_path, url, token_file).returncode == 0
    killed = cli(
        tmp_path,
        "rotate",
        "NL-SBX",
        "--vault",
        str(vault_path),
        env=cli_env(tmp_path, OCPI_ONBOARD_KILL_AT=step),
    )
    assert killed.returncode == -signal.SIGKILL
    runs = as_json(cli(tmp_path, "runs", "list", "--json", "--vault", str(vault_path)))
    if step == "updated":  # killed after the commit: the run is complete, nothing to recover
        assert runs == []
    else:
        assert len(runs) == 1 and runs[0]["state"] == step
        action = "cleanup" if step == "token_stored" else "resume"
        done = cli(
            tmp_path, "runs", action, runs[0]["run_id"], "--json", "--vault", str(vault_path)
        )
        assert done.returncode == 0, done.stdout + done.stderr
    with _open(vault_path) as vault:
        assert not vault.runs(unfinished_only=True)
        partner = vault.partner("NL-SBX")
        _accounted(vault, partner.id)  # type: ignore[arg-type]
    # whatever happened, the stored pair still talks to the partner
    check = cli(tmp_path, "check", "NL-SBX", "--json", "--vault", str(vault_path))
    assert check.returncode == 0, check.stdout + check.stderr
