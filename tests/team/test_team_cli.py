"""The team vault through the real CLI (subprocesses) on a real PostgreSQL: two members,
`team init|add|list|remove`, every partner command on `--vault postgresql://...`, a
rotation killed mid-way and resumed, a personal vault migrated in, and a pg_dump that
holds no token."""

from __future__ import annotations

import base64
import secrets
import signal
from pathlib import Path
from typing import Any

from app.vault import TeamVault, Vault
from tests.cli.helpers import Background, as_json, cli, cli_env

ALICE, BOB = "alice team passphrase", "bob team passphrase"
IDENTITY = ["--country-code", "DE", "--party-id", "TEA", "--role", "EMSP"]


def test_a_team_on_postgresql(tmp_path: Path, pg_cluster: Any, pg_url: str) -> None:
    alice = cli_env(tmp_path, OCPI_ONBOARD_MEMBER="alice", OCPI_ONBOARD_PASSPHRASE=ALICE)
    bob = cli_env(tmp_path, OCPI_ONBOARD_MEMBER="bob", OCPI_ONBOARD_PASSPHRASE=BOB)
    v = ["--vault", pg_url]
    outputs: list[str] = []

    def run(env: dict[str, str], *args: str, stdin: str | None = None, expect: int = 0) -> Any:
        done = cli(tmp_path, *args, env=env, stdin=stdin, timeout=90)
        outputs.extend([done.stdout, done.stderr])
        assert done.returncode == expect, f"{args}: {done.stdout}\n{done.stderr}"
        return done

    init = run(alice, "team", "init", *v)
    assert "team vault ready" in init.stdout and "alice (you)" in init.stdout
    assert "***" not in init.stdout  # no password in the URL, nothing to hide
    short = run(alice, "team", "add", "carol", *v, stdin="short\n", expect=2)
    assert "stdin" in short.stderr
    run(alice, "team", "add", "bob", *v, stdin=BOB + "\n")
    listed = as_json(run(bob, "team", "list", "--json", *v))
    assert [m["name"] for m in listed["members"]] == ["alice", "bob"]
    assert all(m["key"].startswith("K·") for m in listed["members"])

    token_a = secrets.token_urlsafe(32)
    token_file = tmp_path / "token-a"
    token_file.write_text(token_a + "\n")
    sandbox = Background(
        tmp_path, "sandbox", "--ocpi-version", "2.2.1", "--token-a-file", str(token_file)
    )
    try:
        url = sandbox.first_line()
        reg = as_json(
            run(
                alice,
                *("register", *v, "--versions-url", url, "--token-a-file", str(token_file)),
                *(*IDENTITY, "--json"),
            )
        )
        assert reg["status"] == "registered"
        peers = as_json(run(bob, "peers", "list", "--json", *v))
        assert [p["peer"] for p in peers] == ["NL-SBX"]  # bob sees alice's partner
        rotated = as_json(run(bob, "rotate", "NL-SBX", "--json", *v))
        assert rotated["status"] == "rotated"

        # a rotation killed after the PUT resumes from the team vault as from SQLite
        killed = cli(
            tmp_path,
            *("rotate", "NL-SBX", *v),
            env={**bob, "OCPI_ONBOARD_KILL_AT": "put_sent"},
            timeout=90,
        )
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        unfinished = as_json(run(alice, "runs", "list", "--json", *v))
        assert len(unfinished) == 1 and unfinished[0]["state"] == "put_sent"
        run(alice, "runs", "resume", unfinished[0]["run_id"], "--json", *v)
        assert as_json(run(alice, "runs", "list", "--json", *v)) == []
        assert as_json(run(alice, "check", "NL-SBX", "--json", *v))["status"] == "ok"
        shown = as_json(run(bob, "peers", "show", "NL-SBX", "--json", *v))
        active = [c for c in shown["credentials"] if c["state"] == "active"]
        assert sorted((c["role"], c["direction"]) for c in active) == [
            ("B", "inbound"),
            ("C", "outbound"),
        ]
    finally:
        out, err = sandbox.stop()
        outputs += [out, err]

    events = as_json(run(alice, "audit", "list", "--json", *v))["events"]
    who = [(e["actor"], e["action"]) for e in events]
    assert who[:3] == [("alice", "member-add"), ("alice", "register"), ("bob", "rotate")]
    assert ("alice", "rotate.interrupted") in who
    run(bob, "audit", "verify", *v)

    # a personal vault moves in
    personal = tmp_path / "personal.db"
    with Vault.open(personal, ALICE, use_keyring=False) as mine:
        from tests.team.test_team_vault import _registered

        _registered(mine, "BE", "OWN", "personal-vault-token-" + secrets.token_hex(8))
        personal_tokens = [mine.reveal(c.id).reveal() for c in mine.tokens(None)]
    refused = run(
        alice, "vault", "migrate", "--to", str(personal), "--vault", str(personal), expect=2
    )
    assert "postgresql://" in refused.stderr
    report = as_json(
        run(alice, "vault", "migrate", "--to", pg_url, "--vault", str(personal), "--json")
    )
    assert report["copied"]["partners"] == 1 and report["copied"]["tokens"] == 1
    assert report["fingerprints_verified"] == 1
    assert {p["peer"] for p in as_json(run(bob, "peers", "list", "--json", *v))} == {
        "NL-SBX",
        "BE-OWN",
    }
    personal_only = run(alice, "team", "list", "--vault", str(personal), expect=1)
    assert "team vault" in personal_only.stderr

    # bob leaves: the vault re-keys and bob's passphrase opens nothing any more
    removed = run(alice, "team", "remove", "bob", *v)
    assert "re-keyed" in removed.stdout
    gone = run(bob, "peers", "list", *v, expect=1)
    assert "vault.member_unknown" in gone.stderr
    run(alice, "audit", "verify", *v)

    with TeamVault.open_url(pg_url, ALICE, "alice") as team:
        stored = [team.reveal(c.id).reveal() for c in team.tokens(None)]  # all under the new key
    secrets_all = {token_a, *stored, *personal_tokens}
    dump = pg_cluster.dump(pg_url)
    blob = "\n".join([*outputs, dump])
    for value in secrets_all:
        assert value not in blob
        assert base64.b64encode(value.encode()).decode()[:20] not in blob
    for passphrase in (ALICE, BOB):
        assert passphrase not in dump
