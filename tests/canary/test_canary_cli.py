"""Canary scan through the real CLI (`python main.py ...` subprocesses).

Every flow -- register, check, rotate, unregister, invite (and a partner registering with
it), failures (wrong TOKEN_A, three faulty partners), peers/runs listings, transcript
export in all four formats, and a SIGKILL at every crash point -- runs with canary tokens.
Then stdout and stderr of every process, every file the app wrote (vault, WAL, SHM,
settings, exports) and the exports of every run are scanned for every canary, raw and
Base64. Issue "Hostile partners", canary scan.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from app.core.transcript_export import FORMATS, export
from app.vault import Vault
from tests.canary.canary import MARK, canary, files_under, install_sitecustomize, scan
from tests.cli.helpers import PASSPHRASE, ROOT, Background, as_json, cli, cli_env

IDENTITY = ["--country-code", "DE", "--party-id", "ONB", "--role", "EMSP"]
SENDER_KILL_POINTS = [
    "new",
    "versions_fetched",
    "details_fetched",
    "token_b_stored",
    "credentials_posted",
    "registered",
]
ROTATION_KILL_POINTS = ["token_stored", "put_sent", "updated"]
OTHER_KILL_POINTS = ["verified", "delete_sent", "invite_registered"]
KILL_POINTS = SENDER_KILL_POINTS + ROTATION_KILL_POINTS + OTHER_KILL_POINTS  # every crash_point()


class Lab:
    """One home dir, canary-generating subprocesses, and everything they printed."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.home = tmp_path / "home"
        self.secrets = tmp_path / "secrets"  # inputs (token files) and the canary log: not scanned
        self.secrets.mkdir()
        self.site = install_sitecustomize(tmp_path / "site")
        self.log = self.secrets / "canaries.log"
        self.exports = tmp_path / "exports"
        self.outputs: dict[str, str] = {}
        self.given: list[str] = []
        self.commands = 0

    def env(self, tag: str, **extra: str) -> dict[str, str]:
        return cli_env(
            self.home,
            PYTHONPATH=f"{self.site}{os.pathsep}{ROOT}",
            OCPI_CANARY_LOG=str(self.log),
            OCPI_CANARY_TAG=tag,
            **extra,
        )

    def token_file(self, name: str, tag: str) -> Path:
        value = canary(tag)
        self.given.append(value)
        path = self.secrets / name
        path.write_text(value + "\n")
        return path

    def run(
        self,
        name: str,
        *args: str,
        expect: int | None = 0,
        tag: str = "c",
        stdin: str | None = None,
        **extra: str,
    ) -> Any:
        proc = cli(self.home, *args, env=self.env(tag, **extra), timeout=90, stdin=stdin)
        self.commands += 1
        self.outputs[f"{name}: stdout"] = proc.stdout
        self.outputs[f"{name}: stderr"] = proc.stderr
        assert "Traceback" not in proc.stderr, (name, proc.stderr[-3000:])
        if expect is not None:
            assert proc.returncode == expect, (
                name,
                proc.returncode,
                proc.stdout[-2000:],
                proc.stderr[-2000:],
            )
        return proc

    def background(self, name: str, *args: str, tag: str, **extra: str) -> Background:
        self.commands += 1
        proc = Background(self.home, *args, env=self.env(tag, **extra))
        proc.name = name  # type: ignore[attr-defined]
        return proc

    def stop(self, proc: Background) -> None:
        out, err = proc.stop()
        self.outputs[f"{proc.name}: stdout"] = out  # type: ignore[attr-defined]
        self.outputs[f"{proc.name}: stderr"] = err  # type: ignore[attr-defined]
        assert "Traceback" not in err, err[-3000:]

    def canaries(self) -> list[str]:
        logged = self.log.read_text().split() if self.log.exists() else []
        return [*self.given, *logged]

    def sandbox(self, name: str, fault: str = "none") -> tuple[Background, Path, str]:
        token_file = self.token_file(f"{name}-token-a", "A")
        proc = self.background(
            name,
            "sandbox",
            "--ocpi-version",
            "2.2.1",
            "--token-a-file",
            str(token_file),
            "--fault",
            fault,
            tag="s",
        )
        return proc, token_file, proc.first_line()

    def exports_of(self, vault_path: Path) -> dict[str, str]:
        """Every run of a vault exported in every format, in process (the CLI path is run
        for some of them too)."""
        out: dict[str, str] = {}
        with Vault.open(vault_path, passphrase=PASSPHRASE, use_keyring=False) as vault:
            for run in vault.runs():
                entries = vault.transcript(run.id)
                meta = {"run_id": run.id, "kind": run.kind, "outcome": run.outcome}
                for fmt in FORMATS:
                    out[f"export {vault_path.name} {run.kind} {run.id[:8]}.{fmt}"] = export(
                        entries, meta, fmt
                    )
        return out

    def revealed(self, vault_path: Path) -> list[str]:
        with Vault.open(vault_path, passphrase=PASSPHRASE, use_keyring=False) as vault:
            return [
                vault.reveal(c.id).reveal() for p in vault.partners() for c in vault.tokens(p.id)
            ]


def test_canary_scan_every_cli_flow(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    main_vault = lab.home / "vaults" / "main.db"
    v = ["--vault", str(main_vault)]
    started = time.perf_counter()

    sandbox, token_a, url = lab.sandbox("sandbox")
    try:
        lab.run(
            "register",
            "register",
            *v,
            "--versions-url",
            url,
            "--token-a-file",
            str(token_a),
            *IDENTITY,
            "--json",
            "-v",
        )
        lab.run("check", "check", "NL-SBX", *v, "-v")
        lab.run("rotate", "rotate", "NL-SBX", *v, "--json", "-v")
        lab.run("check after rotate", "check", "NL-SBX", *v, "--json")
        lab.run("peers list", "peers", "list", *v)
        lab.run("peers show", "peers", "show", "NL-SBX", *v)
        shown = as_json(lab.run("peers show json", "peers", "show", "NL-SBX", *v, "--json"))
        lab.run("runs list", "runs", "list", *v, "--json")
        wrong = lab.token_file("wrong-token-a", "W")
        lab.run(
            "register with a wrong TOKEN_A",
            "register",
            *v,
            "--versions-url",
            url,
            "--token-a-file",
            str(wrong),
            *IDENTITY,
            "--json",
            "-v",
            expect=1,
        )
        lab.run("unregister", "unregister", "NL-SBX", *v, "-v")
        lab.run("check after unregister", "check", "NL-SBX", *v, expect=1)
    finally:
        lab.stop(sandbox)

    faults = {
        "token-c-equals-b": 1,
        "callback-with-token-a": 1,
        "ocpi-2001": 1,
        "401-after-registration": 0,  # registered, but TOKEN_C is refused: health says so
    }
    for fault, code in faults.items():
        faulty, fault_token, fault_url = lab.sandbox(f"sandbox {fault}", fault)
        try:
            lab.run(
                f"register vs {fault}",
                "register",
                *v,
                "--versions-url",
                fault_url,
                "--token-a-file",
                str(fault_token),
                *IDENTITY,
                "-v",
                expect=code,
            )
        finally:
            lab.stop(faulty)
    # partner health (warnings with messages and fixes) after the faults, list and detail
    health = as_json(lab.run("peers list json after faults", "peers", "list", *v, "--json"))
    assert any(p["health"] == "failing" for p in health)
    lab.run("peers show after 401", "peers", "show", "NL-SBX", *v)

    # we invite; a second installation registers with us
    invite_vault = lab.home / "vaults" / "invite.db"
    out_token = lab.secrets / "invite-token-a"
    inviter = lab.background(
        "invite",
        "invite",
        "--vault",
        str(invite_vault),
        "--token-a-out",
        str(out_token),
        "--wait",
        "60",
        "--json",
        "-v",
        "--country-code",
        "NL",
        "--party-id",
        "INV",
        "--role",
        "CPO",
        tag="i",
    )
    live_files: dict[str, bytes] = {}
    try:
        invite_url = inviter.first_line()
        for _ in range(100):
            if out_token.exists() and out_token.read_text().strip():
                break
            time.sleep(0.05)
        live_files = {
            f"live {k}": b for k, b in files_under(invite_vault.parent).items()
        }  # WAL/SHM while open
        lab.run(
            "register with our invitation",
            "register",
            *v,
            "--versions-url",
            invite_url,
            "--token-a-file",
            str(out_token),
            *IDENTITY,
            "--json",
            "-v",
        )
    finally:
        lab.stop(inviter)
    assert '"status": "registered"' in lab.outputs["invite: stdout"]

    # transcript export through the CLI, every format, for the register and a failed run
    runs = {r["kind"] + r["outcome"]: r["run_id"] for r in shown["runs"]}
    for run_id in {runs.get("registersucceeded"), runs.get("rotatesucceeded")} - {None}:
        for fmt in FORMATS:
            lab.run(
                f"export {fmt}",
                "transcript",
                "export",
                run_id,
                "--format",
                fmt,
                "--output",
                str(lab.exports / f"{run_id[:8]}.{fmt}"),
                *v,
            )

    # the audit trail (list, per partner, verify) names fingerprints only
    lab.run("audit list", "audit", "list", *v)
    lab.run("audit list json", "audit", "list", "--peer", "NL-SBX", *v, "--json")
    lab.run("audit verify", "audit", "verify", *v, "--json")

    elapsed = time.perf_counter() - started
    canaries = lab.canaries()
    # the patch worked: every token in the vaults is a canary (else the scan proves nothing)
    stored = lab.revealed(main_vault) + lab.revealed(invite_vault)
    assert stored and all(value.startswith(MARK) for value in stored), "tokens are not canaries"
    assert set(stored) <= set(canaries)
    outputs: dict[str, bytes | str] = {**lab.outputs, **live_files}
    outputs.update(files_under(lab.home, lab.exports))
    outputs.update(lab.exports_of(main_vault))
    outputs.update(lab.exports_of(invite_vault))
    found = scan(outputs, canaries)
    assert not found, found
    print(
        f"\ncanary scan (CLI): {len(canaries)} canaries, {lab.commands} processes, {len(outputs)} outputs "
        f"scanned, {elapsed:.1f} s"
    )


def test_canary_scan_at_every_kill_point(tmp_path: Path) -> None:
    """SIGKILL at each crash point (6 Sender steps, 3 rotation steps, unregister, and the
    Receiver answering a POST): the vault, its WAL and SHM, as the dead process left them,
    and every output hold no canary."""
    lab = Lab(tmp_path)
    vault_path = lab.home / "vaults" / "killed.db"
    v = ["--vault", str(vault_path)]
    sandbox, token_a, url = lab.sandbox("sandbox")
    outputs: dict[str, bytes | str] = {}
    try:
        for step in SENDER_KILL_POINTS:
            proc = lab.run(
                f"register killed at {step}",
                "register",
                *v,
                "--versions-url",
                url,
                "--token-a-file",
                str(token_a),
                *IDENTITY,
                "-v",
                expect=None,
                OCPI_ONBOARD_KILL_AT=step,
            )
            assert proc.returncode == -signal.SIGKILL, (step, proc.stderr[-2000:])
            outputs.update({f"{step}: {k}": b for k, b in files_under(vault_path.parent).items()})
        for step in ROTATION_KILL_POINTS:
            proc = lab.run(
                f"rotate killed at {step}",
                "rotate",
                "NL-SBX",
                *v,
                "-v",
                expect=None,
                OCPI_ONBOARD_KILL_AT=step,
            )
            assert proc.returncode == -signal.SIGKILL, (step, proc.stderr[-2000:])
            outputs.update({f"{step}: {k}": b for k, b in files_under(vault_path.parent).items()})
        proc = lab.run(
            "unregister killed at delete_sent",
            "unregister",
            "NL-SBX",
            *v,
            "-v",
            expect=None,
            OCPI_ONBOARD_KILL_AT="delete_sent",
        )
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
        outputs.update({f"delete_sent: {k}": b for k, b in files_under(vault_path.parent).items()})
    finally:
        lab.stop(sandbox)
    # killed after the check with TOKEN_C (a second partner: the first one's TOKEN_A is spent)
    second, second_token, second_url = lab.sandbox("sandbox 2")
    try:
        proc = lab.run(
            "register killed at verified",
            "register",
            "--vault",
            str(vault_path),
            "--versions-url",
            second_url,
            "--token-a-file",
            str(second_token),
            *IDENTITY,
            "-v",
            expect=None,
            OCPI_ONBOARD_KILL_AT="verified",
        )
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
        outputs.update({f"verified: {k}": b for k, b in files_under(vault_path.parent).items()})
    finally:
        lab.stop(second)
    # the Receiver killed while it answers a partner's POST (after storing TOKEN_C)
    invite_vault = lab.home / "vaults" / "inviter.db"
    out_token = lab.secrets / "invite-token-a"
    inviter = lab.background(
        "invite killed",
        "invite",
        "--vault",
        str(invite_vault),
        "--token-a-out",
        str(out_token),
        "--wait",
        "30",
        "-v",
        tag="i",
        OCPI_ONBOARD_KILL_AT="invite_registered",
    )
    try:
        invite_url = inviter.first_line()
        for _ in range(100):
            if out_token.exists() and out_token.read_text().strip():
                break
            time.sleep(0.05)
        lab.run(
            "register with a Receiver that dies",
            "register",
            "--vault",
            str(lab.home / "vaults" / "s.db"),
            "--versions-url",
            invite_url,
            "--token-a-file",
            str(out_token),
            *IDENTITY,
            "-v",
            expect=1,
        )
    finally:
        lab.stop(inviter)
    assert inviter.proc.returncode == -signal.SIGKILL
    outputs.update(
        {f"invite_registered: {k}": b for k, b in files_under(invite_vault.parent).items()}
    )
    assert any(name.endswith("-wal") for name in outputs), "a killed process leaves its WAL"
    outputs.update(lab.outputs)
    outputs.update(lab.exports_of(vault_path))
    canaries = lab.canaries()
    stored = lab.revealed(vault_path) + lab.revealed(invite_vault)
    assert stored and all(value.startswith(MARK) for value in stored)
    found = scan(outputs, canaries)
    assert not found, found
    print(
        f"\ncanary scan (kill points): {len(KILL_POINTS)} kill points, {len(canaries)} canaries, "
        f"{len(outputs)} outputs scanned"
    )


@pytest.mark.parametrize("text", ["CNRYx001" + "ab" * 14, "Q05SWXgwMDFhYmFi"])
def test_scan_finds_a_planted_canary(text: str) -> None:
    """The scanner itself: a planted canary (raw, or only its Base64 marker) is found."""
    value = "CNRYx001" + "ab" * 14
    assert scan({"out": f"noise {text} noise"}, [value])
    assert not scan({"out": "clean output, fingerprints only: C·3f9c2a"}, [value])
