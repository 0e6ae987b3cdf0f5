"""The done-when flow of issue 11 through the real CLI, canary-scanned.

A sandbox hub that requires mutual TLS, routing headers and rotation by DELETE plus a new
registration (`sandbox --hub-mode ...`, its own throwaway CA); `register --profile FILE`
with the certificate paths in the profile; the PEM files and the profile deleted; `check`
still works from the vault copy; `rotate PEER --token-a-file -` moves to a new TOKEN_C.
Then every output and every file the app wrote is scanned for every token (raw and Base64)
and for the client key.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.canary.canary import files_under, scan
from tests.canary.test_canary_cli import IDENTITY, Lab
from tests.cli.helpers import as_json

HUB_MODES = ["mtls-required", "routing-headers-required", "put-refused"]


def _register_args(url: str, token_file: Path, profile: str, *extra: str) -> list[str]:
    """`register` with the hub's versions URL and TOKEN_A file, our identity and a profile."""
    return [
        "register",
        "--versions-url",
        url,
        "--token-a-file",
        str(token_file),
        *IDENTITY,
        "--profile",
        profile,
        *extra,
        "--json",
    ]


def test_mtls_routing_delete_register_hub_through_the_cli(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    tls = lab.secrets / "tls"
    token_file = lab.token_file("hub-token-a", "A")
    args = ["sandbox", "--ocpi-version", "2.2.1", "--token-a-file", str(token_file)]
    for mode in HUB_MODES:
        args += ["--hub-mode", mode]
    hub = lab.background("hub", *args, "--tls-dir", str(tls), tag="s")
    try:
        url = hub.first_line()
        assert url.startswith("https://127.0.0.1:"), url
        profile = lab.secrets / "my-hub.toml"
        profile.write_text(
            'name = "My hub"\n'
            'ocpi_version = "2.2.1"\n'
            "routing_headers = true\n"
            'rotation = "delete-register"\n'
            "client_cert_required = true\n"
            'client_cert = "tls/client.pem"\n'
            'client_key = "tls/client.key"\n'
            'ca_bundle = "tls/ca.pem"\n'
        )
        key_body = (tls / "client.key").read_text().splitlines()[1]

        # without the client certificate the preset refuses before anything is sent
        refused = lab.run(
            "register without cert", *_register_args(url, token_file, "gireve-hub"), expect=2
        )
        assert "requires mutual TLS" in refused.stderr

        registered = as_json(lab.run("register", *_register_args(url, token_file, str(profile))))
        assert registered["status"] == "registered", registered
        assert registered["ocpi_version"] == "2.2.1"
        for pem in ("client.pem", "client.key", "ca.pem"):
            (tls / pem).unlink()
        profile.unlink()

        checked = as_json(lab.run("check", "check", "NL-SBX", "--json"))
        assert checked["status"] == "ok", checked

        shown = as_json(lab.run("profiles show", "profiles", "show", "NL-SBX", "--json"))
        assert shown["rotation"] == "delete-register" and shown["routing_headers"] is True
        assert shown["client_key"] == "stored in the vault (encrypted)"
        assert shown["source"] == "vault" and shown["name"] == "NL-SBX"

        fresh = lab.token_file("fresh-token-a", "F")  # what the hub "issued" for the rotation
        token_file.write_text(fresh.read_text())  # the hub accepts it after our DELETE
        rotated = as_json(
            lab.run(
                "rotate",
                "rotate",
                "NL-SBX",
                "--token-a-file",
                "-",
                "--json",
                stdin=fresh.read_text(),
            )
        )
        assert rotated["status"] == "rotated", rotated
        assert rotated["rotation"] == "delete-register"
        assert rotated["token_c_fingerprint"] not in (None, registered["token_c_fingerprint"])
        again = as_json(lab.run("check again", "check", "NL-SBX", "--json"))
        assert again["status"] == "ok", again
        peers = json.loads(lab.run("peers", "peers", "list", "--json").stdout)
        live = [p for p in peers if p["country_code"] == "NL" and p["party_id"] == "SBX"]
        assert len(live) == 1 and live[0]["status"] == "registered"
    finally:
        lab.stop(hub)

    outputs: dict[str, bytes | str] = dict(lab.outputs)
    outputs.update(files_under(lab.home))
    assert scan(outputs, lab.canaries()) == {}
    leaked = [name for name, data in outputs.items() if key_body in str(data)]
    assert leaked == []


def test_rotation_by_delete_register_killed_after_the_delete(tmp_path: Path) -> None:
    """SIGKILL right after the hub accepted our DELETE: the run says where it stopped and
    what to ask the hub for; the old credentials are still stored; rotating again with the
    fresh TOKEN_A finishes the job. Canary-scanned like every CLI flow."""
    lab = Lab(tmp_path)
    token_file = lab.token_file("hub-token-a", "A")
    hub = lab.background(
        "hub",
        "sandbox",
        "--ocpi-version",
        "2.2.1",
        "--token-a-file",
        str(token_file),
        "--hub-mode",
        "put-refused",
        tag="s",
    )
    try:
        url = hub.first_line()
        registered = as_json(
            lab.run(
                "register",
                *_register_args(
                    url,
                    token_file,
                    "gireve-hub",
                    "--client-cert",
                    str(_pem(lab, "cert")),
                    "--client-key",
                    str(_pem(lab, "key")),
                ),
                expect=None,
            )
        )
        # the preset pins mTLS but this hub speaks plain loopback http: the client
        # certificate is stored and simply not asked for
        assert registered["status"] == "registered", registered
        fresh = lab.token_file("fresh-token-a", "F")
        token_file.write_text(fresh.read_text())
        killed = lab.run(
            "rotate killed",
            "rotate",
            "NL-SBX",
            "--token-a-file",
            "-",
            "--json",
            expect=None,
            stdin=fresh.read_text(),
            OCPI_ONBOARD_KILL_AT="rr_deleted",
        )
        assert "KILLED AT rr_deleted" in killed.stdout
        runs = json.loads(lab.run("runs", "runs", "list", "--json").stdout)
        stopped = [r for r in runs if r["kind"] == "rotate"]
        assert stopped and stopped[0]["state"] == "deleted"
        assert "new registration did not finish" in stopped[0]["description"]
        advice = as_json(
            lab.run("runs resume", "runs", "resume", stopped[0]["run_id"], "--json", expect=1)
        )
        assert advice["diagnosis"]["code"] == "reg.reregister_failed"
        assert "fresh TOKEN_A" in advice["diagnosis"]["hint"]
        rotated = as_json(
            lab.run(
                "rotate again",
                "rotate",
                "NL-SBX",
                "--token-a-file",
                "-",
                "--json",
                stdin=fresh.read_text(),
            )
        )
        assert rotated["status"] == "rotated", rotated
        assert as_json(lab.run("check", "check", "NL-SBX", "--json"))["status"] == "ok"
    finally:
        lab.stop(hub)
    outputs: dict[str, bytes | str] = dict(lab.outputs)
    outputs.update(files_under(lab.home))
    assert scan(outputs, lab.canaries()) == {}


def _pem(lab: Lab, which: str) -> Path:
    """A client certificate and key from a throwaway CA (the sandbox's own generator)."""
    from app.sandbox.certs import make_sandbox_certs

    folder = lab.secrets / "pem"
    if not (folder / "client.pem").exists():
        make_sandbox_certs(folder)
    return folder / ("client.pem" if which == "cert" else "client.key")
