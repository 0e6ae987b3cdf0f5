"""The headless CLI contract (docs/cli-contract.md), end to end in subprocesses over loopback."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.cli.helpers import (
    Background,
    as_json,
    cli,
    cli_env,
    register,
    start_sandbox,
    token_a_file,
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


IDENTITY = [
    "--country-code",
    "de",
    "--party-id",
    "onb",
    "--role",
    "EMSP",
    "--business-name",
    "CLI Test",
]


def test_sandbox_register_peers_check_rotate_export_unregister(home: Path) -> None:
    token_file, token_a = token_a_file(home)
    sandbox = start_sandbox(home, token_file, "--ocpi-version", "2.2.1")
    outputs: list[str] = []
    try:
        url = sandbox.first_line()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/ocpi/versions")
        vault = str(home / "vault.db")
        reg = register(home, vault, url, token_file, IDENTITY)
        outputs += [reg.stdout, reg.stderr]
        assert reg.returncode == 0, reg.stderr
        data = as_json(reg)
        assert data["status"] == "registered"
        assert data["peer"] == {"country_code": "NL", "party_id": "SBX", "roles": ["CPO"]}
        assert data["ocpi_version"] == "2.2.1"
        assert data["token_c_fingerprint"].startswith("C·")
        assert data["mutual_discovery"] == "complete"
        assert data["diagnosis"] is None and data["run_id"]

        peers = cli(home, "peers", "list", "--json", "--vault", vault)
        outputs += [peers.stdout, peers.stderr]
        assert [p["peer"] for p in as_json(peers)] == ["NL-SBX"]
        show = cli(home, "peers", "show", "NL-SBX", "--json", "--vault", vault)
        outputs += [show.stdout, show.stderr]
        creds = as_json(show)["credentials"]
        assert {c["fingerprint"][0] for c in creds} == {"A", "B", "C"}

        for command in ("check", "rotate", "check"):
            done = cli(home, command, "NL-SBX", "--json", "--vault", vault)
            outputs += [done.stdout, done.stderr]
            assert done.returncode == 0, done.stderr
            assert as_json(done)["status"] in ("ok", "rotated")

        for fmt in ("har", "html", "md", "json"):
            target = home / f"transcript.{fmt}"
            exported = cli(
                home,
                "transcript",
                "export",
                data["run_id"][:10],
                "--format",
                fmt,
                "--output",
                str(target),
                "--vault",
                vault,
            )
            assert exported.returncode == 0, exported.stderr
            outputs.append(target.read_text())
        har = json.loads((home / "transcript.har").read_text())
        assert har["log"]["version"] == "1.2" and len(har["log"]["entries"]) >= 5

        gone = cli(home, "unregister", "NL-SBX", "--json", "--vault", vault)
        outputs += [gone.stdout, gone.stderr]
        assert gone.returncode == 0 and as_json(gone)["status"] == "unregistered"
    finally:
        out, err = sandbox.stop()
        outputs += [out, err]
    blob = "\n".join(outputs)
    assert token_a not in blob
    assert "C·" in blob


def test_register_failure_is_json_with_diagnosis_and_exit_1(home: Path) -> None:
    token_file, token_a = token_a_file(home)
    sandbox = Background(home, "sandbox", "--token-a-file", str(token_file), "--fault", "ocpi-2001")
    try:
        url = sandbox.first_line()
        reg = cli(
            home,
            "register",
            "--vault",
            str(home / "v.db"),
            "--versions-url",
            url,
            "--token-a-file",
            "-",
            *IDENTITY,
            "--json",
            stdin=token_a,
        )
    finally:
        sandbox.stop()
    assert reg.returncode == 1
    data = as_json(reg)
    assert data["status"] == "failed" and data["diagnosis"]["code"] == "ocpi.invalid_params"
    assert token_a not in reg.stdout + reg.stderr


@pytest.mark.parametrize(
    ("content", "needle"),
    [("Bearer abcdefgh", "header scheme"), ("two words", "spaces"), ("x" * 65, "64"), ("", "64")],
)
def test_bad_token_files_are_refused_before_anything_is_sent(
    home: Path, content: str, needle: str
) -> None:
    token_file, _ = token_a_file(home, content)
    reg = cli(
        home,
        "register",
        "--vault",
        str(home / "v.db"),
        "--versions-url",
        "https://127.0.0.1:9/ocpi/versions",
        "--token-a-file",
        str(token_file),
        *IDENTITY,
    )
    assert reg.returncode == 2
    assert needle in reg.stderr
    assert not (home / "v.db").exists()


def test_insecure_remote_url_is_refused(home: Path) -> None:
    token_file, _ = token_a_file(home)
    reg = cli(
        home,
        "register",
        "--vault",
        str(home / "v.db"),
        "--versions-url",
        "http://partner.example.com/ocpi/versions",
        "--token-a-file",
        str(token_file),
        *IDENTITY,
        "--json",
    )
    assert reg.returncode == 1
    assert as_json(reg)["diagnosis"]["code"] == "input.url_insecure"


def test_invite_then_register_between_two_cli_processes(home: Path) -> None:
    token_out = home / "issued-token-a"
    invite = Background(
        home,
        "invite",
        "--vault",
        str(home / "receiver.db"),
        "--token-a-out",
        str(token_out),
        "--wait",
        "30",
        "--json",
        "--country-code",
        "NL",
        "--party-id",
        "RCV",
        "--role",
        "CPO",
    )
    try:
        url = invite.first_line()
        assert url.endswith("/ocpi/versions")
        assert stat.S_IMODE(token_out.stat().st_mode) == 0o600
        token_a = token_out.read_text().strip()
        reg = cli(
            home,
            "register",
            "--vault",
            str(home / "sender.db"),
            "--versions-url",
            url,
            "--token-a-file",
            str(token_out),
            *IDENTITY,
            "--json",
        )
        assert reg.returncode == 0, reg.stderr
        assert as_json(reg)["peer"]["party_id"] == "RCV"
        assert invite.proc.wait(timeout=20) == 0
    finally:
        out, err = invite.stop()
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "registered" and result["peer"]["party_id"] == "ONB"
    assert token_a not in out + err + reg.stdout + reg.stderr


def test_token_a_out_replaces_a_world_readable_file_and_never_rewrites_it(home: Path) -> None:
    """`invite --token-a-out F` over an existing 0644 F: F ends 0600 holding the token, and
    it is a new file. A hard link to the old one (what anyone who could read it may hold)
    still shows the old text: the token was never written into a readable file."""
    token_out = home / "issued-token-a"
    token_out.write_text("old, world-readable\n")
    token_out.chmod(0o644)
    peek = home / "peek"
    os.link(token_out, peek)
    old_inode = token_out.stat().st_ino
    invite = Background(
        home,
        "invite",
        "--vault",
        str(home / "receiver.db"),
        "--token-a-out",
        str(token_out),
        "--wait",
        "30",
        "--json",
    )
    try:
        assert invite.first_line().endswith("/ocpi/versions")
        token_a = token_out.read_text().strip()
    finally:
        invite.stop()
    assert stat.S_IMODE(token_out.stat().st_mode) == 0o600
    assert token_out.stat().st_ino != old_inode
    assert len(token_a) >= 32 and token_a != "old, world-readable"
    assert peek.read_text() == "old, world-readable\n"
    assert stat.S_IMODE(peek.stat().st_mode) == 0o644
    assert not [p.name for p in home.iterdir() if p.name.startswith(".issued-token-a")]


def test_version_and_self_test(home: Path) -> None:
    version = cli(home, "--version")
    assert version.returncode == 0 and "ocpi-onboard" in version.stdout
    test = cli(home, "--self-test", env=cli_env(home))
    assert test.returncode == 0, test.stderr
    assert "self-test OK" in test.stdout


def test_wrong_passphrase_is_a_clear_error(home: Path) -> None:
    vault = str(home / "v.db")
    assert cli(home, "peers", "list", "--vault", vault).returncode == 0
    wrong = cli(
        home, "peers", "list", "--vault", vault, env=cli_env(home, OCPI_ONBOARD_PASSPHRASE="nope")
    )
    assert wrong.returncode == 1
    assert "vault.wrong_passphrase" in wrong.stderr
    assert "Traceback" not in wrong.stderr
