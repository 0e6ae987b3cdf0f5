"""`audit list|verify` and the audit lines in transcript exports, through the real CLI."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from tests.cli.helpers import as_json, cli, cli_env, register, start_sandbox, token_a_file

IDENTITY = ["--country-code", "de", "--party-id", "aud", "--role", "EMSP"]


def test_audit_list_verify_and_transcript_lines(tmp_path: Path) -> None:
    token_file, token_a = token_a_file(tmp_path)
    vault = str(tmp_path / "vault.db")
    carol = cli_env(tmp_path, OCPI_ONBOARD_MEMBER="carol")
    dave = cli_env(tmp_path, OCPI_ONBOARD_MEMBER="dave")
    sandbox = start_sandbox(tmp_path, token_file, "--ocpi-version", "2.2.1")
    try:
        url = sandbox.first_line()
        reg = register(tmp_path, vault, url, token_file, IDENTITY, env=carol)
        assert reg.returncode == 0, reg.stderr
        registered = as_json(reg)
        rotated = cli(tmp_path, "rotate", "NL-SBX", "--json", "--vault", vault, env=dave)
        assert rotated.returncode == 0, rotated.stderr
    finally:
        sandbox.stop()

    exported = tmp_path / "register.md"
    done = cli(
        tmp_path,
        *("transcript", "export", registered["run_id"], "--format", "md"),
        *("--output", str(exported), "--vault", vault),
        env=dave,
    )
    assert done.returncode == 0, done.stderr
    text = exported.read_text()
    assert "## Audit trail" in text
    assert f"carol register NL-SBX {registered['token_c_fingerprint']}" in text
    assert "dave transcript-export NL-SBX" in text
    assert "dave rotate" not in text  # the rotation is another run

    listed = cli(tmp_path, "audit", "list", "--json", "--vault", vault)
    assert listed.returncode == 0, listed.stderr
    events = as_json(listed)["events"]
    assert [(e["seq"], e["actor"], e["action"], e["peer"]) for e in events] == [
        (1, "carol", "register", "NL-SBX"),
        (2, "dave", "rotate", "NL-SBX"),
        (3, "dave", "transcript-export", "NL-SBX"),
    ]
    assert events[0]["fingerprint"] == registered["token_c_fingerprint"]
    assert (
        events[1]["fingerprint"].startswith("C·")
        and events[1]["fingerprint"] != (events[0]["fingerprint"])
    )
    assert set(events[0]) == {"seq", "at", "actor", "action", "peer", "fingerprint"}
    by_peer = cli(tmp_path, "audit", "list", "--peer", "nl-sbx", "--json", "--vault", vault)
    assert len(as_json(by_peer)["events"]) == 3
    nobody = cli(tmp_path, "audit", "list", "--peer", "FR-XYZ", "--json", "--vault", vault)
    assert as_json(nobody) == {"events": []}
    plain = cli(tmp_path, "audit", "list", "--vault", vault)
    assert plain.stdout.splitlines()[0].startswith("#1 ") and "carol register" in plain.stdout

    ok = cli(tmp_path, "audit", "verify", "--json", "--vault", vault)
    assert ok.returncode == 0 and as_json(ok) == {"intact": True, "events": 3, "problems": []}

    with contextlib.closing(sqlite3.connect(vault)) as conn:
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2")
        conn.commit()
    broken = cli(tmp_path, "audit", "verify", "--json", "--vault", vault)
    assert broken.returncode == 1
    report = as_json(broken)
    assert report["intact"] is False and report["problems"][0]["seq"] == 2
    human = cli(tmp_path, "audit", "verify", "--vault", vault)
    assert human.returncode == 1 and "BROKEN" in human.stdout and "row 2" in human.stderr

    blob = "\n".join([reg.stdout, reg.stderr, text, listed.stdout, plain.stdout])
    assert token_a not in blob


def test_audit_without_subcommand_is_a_usage_error(tmp_path: Path) -> None:
    done = cli(tmp_path, "audit", "--vault", str(tmp_path / "v.db"))
    assert done.returncode == 2 and "audit list" in done.stderr
