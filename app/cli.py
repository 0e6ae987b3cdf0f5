"""Headless CLI (design.md "Headless CLI (contract)"): the engine without Qt.

Tokens never come from the command line: files or stdin only. Output carries fingerprints,
never raw tokens. Exit 0 only on success; diagnoses go to stderr (and into --json output).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from app import __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A usage or input problem, reported as one line on stderr."""


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vault", type=Path, help="vault file (default: the user data dir)")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every event to stderr")


def _add_network(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ca-bundle", help="PEM file of CAs that sign the partner's certificate")
    parser.add_argument(
        "--allow-insecure", action="store_true", help="allow http:// to non-loopback hosts"
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="per-request timeout in seconds"
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def _add_listen(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--listen", default=None, help="HOST:PORT of our embedded endpoint (default 127.0.0.1:0)"
    )
    parser.add_argument(
        "--public-url", default=None, help="base URL partners use to reach our endpoint"
    )


def _add_identity(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument(
        "--country-code", required=required, help="our ISO 3166 alpha-2 country code"
    )
    parser.add_argument("--party-id", required=required, help="our 3-character party id")
    parser.add_argument(
        "--role",
        action="append",
        dest="roles",
        required=required,
        help="our role (CPO, EMSP, ...); repeat for several",
    )
    parser.add_argument("--business-name", default=None, help="our business name")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocpi-onboard", description="OCPI credentials onboarding")
    parser.add_argument("--version", action="version", version=f"ocpi-onboard {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="run a sandbox handshake through engine and vault in a temp dir",
    )
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("sandbox", help="serve a sandbox partner on 127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--ocpi-version", default=None, help="serve only this version (default: all)")
    p.add_argument(
        "--token-a-file", required=True, help="file holding the TOKEN_A it accepts ('-' = stdin)"
    )
    p.add_argument("--fault", default="none", help="fault mode to rehearse (see docs)")
    p.add_argument("--slow-seconds", type=float, default=2.0, help=argparse.SUPPRESS)
    p.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    _add_common(p)

    p = sub.add_parser("register", help="register with a partner (we are the credentials Sender)")
    p.add_argument("--versions-url", required=True)
    p.add_argument("--token-a-file", required=True, help="file holding TOKEN_A ('-' = stdin)")
    _add_identity(p, required=True)
    p.add_argument("--ocpi-version", default=None)
    p.add_argument("--token-encoding", choices=("auto", "base64", "raw"), default="auto")
    _add_listen(p)
    p.add_argument(
        "--own-versions-url", default=None, help="external mode: our platform's versions URL"
    )
    p.add_argument(
        "--token-b-file", default=None, help="external mode: TOKEN_B provisioned on our platform"
    )
    p.add_argument("--no-verify", action="store_true", help="skip the check with TOKEN_C")
    _add_network(p)
    _add_common(p)

    p = sub.add_parser("invite", help="let a partner register with us (we are the Receiver)")
    _add_listen(p)
    _add_identity(p, required=False)
    p.add_argument("--token-a-out", default=None, help="write the new TOKEN_A here (mode 0600)")
    p.add_argument("--wait", type=float, default=600.0, help="seconds to wait for the partner")
    _add_network(p)
    _add_common(p)

    p = sub.add_parser("peers", help="list or show partners")
    peers_sub = p.add_subparsers(dest="peers_command")
    pl = peers_sub.add_parser("list")
    pl.add_argument("--json", action="store_true")
    pl.add_argument("--search", default=None)
    _add_common(pl)
    ps = peers_sub.add_parser("show")
    ps.add_argument("peer")
    ps.add_argument("--json", action="store_true")
    _add_common(ps)
    _add_common(p)

    for name, text in (
        ("rotate", "PUT new credentials"),
        ("unregister", "DELETE our credentials"),
        ("check", "GET versions with TOKEN_C"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("peer")
        if name == "rotate":
            _add_listen(p)
        _add_network(p)
        _add_common(p)

    p = sub.add_parser("runs", help="list runs; recover one found mid-way")
    p.add_argument("action", nargs="?", choices=("list", "resume", "cleanup"), default="list")
    p.add_argument("run", nargs="?")
    _add_network(p)
    _add_common(p)

    p = sub.add_parser("transcript", help="export a run's transcript")
    tsub = p.add_subparsers(dest="transcript_command")
    te = tsub.add_parser("export")
    te.add_argument("run")
    te.add_argument("--format", choices=("har", "html", "md", "json"), required=True)
    te.add_argument("--output", required=True, type=Path)
    _add_common(te)
    _add_common(p)
    return parser


# ---- helpers --------------------------------------------------------------------------
def read_token_file(path: str, what: str) -> str:
    from app.core.inputs import check_token, errors

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {what} from {path}: {type(exc).__name__}") from None
    value = text.strip()
    problems = errors(check_token(value))
    if problems:
        raise CliError(f"{what}: {problems[0].message} {problems[0].hint}")
    return value


def parse_listen(text: str | None) -> tuple[str, int]:
    if not text:
        return "127.0.0.1", 0
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise CliError(f"--listen wants HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def open_vault(path: Path | None) -> Any:
    from app.vault import Vault

    return Vault.open(path)


def event_printer(verbose: bool) -> Any:
    from app.core.events import Level

    def show(event: Any) -> None:
        if event.kind in ("RequestSent", "ResponseReceived") and not verbose:
            return
        if not verbose and event.level == Level.DEBUG:
            return
        print(f"[{event.level}] {event.message}", file=sys.stderr, flush=True)

    return show


def print_result(result: Any, as_json: bool) -> int:
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        data = result.to_json()
        print(f"status: {data['status']}")
        for key in ("peer", "ocpi_version", "token_c_fingerprint", "mutual_discovery", "run_id"):
            if data.get(key) is not None:
                value = data[key]
                if isinstance(value, dict):
                    value = f"{value.get('country_code')}-{value.get('party_id')} {','.join(value.get('roles') or [])}"
                print(f"{key}: {value}")
        for warning in result.warnings:
            print(f"warning: {warning.message} Fix: {warning.hint}", file=sys.stderr)
        if result.diagnosis is not None:
            print(f"error [{result.diagnosis.code}]: {result.diagnosis.message}", file=sys.stderr)
            print(f"fix: {result.diagnosis.hint}", file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAILED


def _http(args: argparse.Namespace) -> Any:
    from app.settings import load_settings

    settings = load_settings()
    http = settings.http()
    from dataclasses import replace

    changes: dict[str, Any] = {}
    if getattr(args, "ca_bundle", None):
        changes["ca_bundle"] = args.ca_bundle
    if getattr(args, "allow_insecure", False):
        changes["allow_insecure"] = True
    if getattr(args, "timeout", None):
        changes["request_timeout"] = args.timeout
        changes["write_timeout"] = max(args.timeout, http.write_timeout)
    return replace(http, **changes)


def _identity(args: argparse.Namespace) -> Any:
    from app.engine.results import Identity
    from app.settings import load_settings

    settings = load_settings()
    roles = tuple(r.upper() for r in (getattr(args, "roles", None) or settings.roles))
    return Identity(
        country_code=(getattr(args, "country_code", None) or settings.country_code).upper(),
        party_id=(getattr(args, "party_id", None) or settings.party_id).upper(),
        roles=roles,
        business_name=getattr(args, "business_name", None) or settings.business_name,
        website=settings.website,
    )


def _engine(args: argparse.Namespace, vault: Any) -> Any:
    from app.core.tokens import Secret, TokenRole
    from app.engine import CallbackSettings, Engine

    host, port = parse_listen(getattr(args, "listen", None))
    own = getattr(args, "own_versions_url", None)
    token_b = None
    if own:
        if not getattr(args, "token_b_file", None):
            raise CliError(
                "--own-versions-url needs --token-b-file (the TOKEN_B provisioned on our platform)"
            )
        token_b = Secret(read_token_file(args.token_b_file, "TOKEN_B"), TokenRole.B)
    callback = CallbackSettings(
        mode="external" if own else "embedded",
        listen_host=host,
        listen_port=port,
        public_url=getattr(args, "public_url", None),
        own_versions_url=own,
        token_b=token_b,
    )
    return Engine(
        vault,
        _identity(args),
        http=_http(args),
        callback=callback,
        on_event=event_printer(getattr(args, "verbose", False)),
    )


def _warn_wide_bind(engine: Any) -> None:
    if engine.server is not None and engine.server.wide_bind:
        print(
            "warning: our endpoint listens beyond this machine; make sure TLS terminates in front of it",
            file=sys.stderr,
        )


# ---- commands -------------------------------------------------------------------------
async def cmd_sandbox(args: argparse.Namespace) -> int:
    from app.core.tokens import Secret, TokenRole
    from app.sandbox import Fault, SandboxPartner

    token_a = Secret(read_token_file(args.token_a_file, "TOKEN_A"), TokenRole.A)
    try:
        fault = Fault(args.fault)
    except ValueError:
        raise CliError(
            f"unknown fault {args.fault!r}; choose from {', '.join(f.value for f in Fault)}"
        ) from None
    versions = (args.ocpi_version,) if args.ocpi_version else None
    if versions and args.ocpi_version not in ("2.1.1", "2.2.1", "2.3.0"):
        raise CliError("--ocpi-version must be 2.1.1, 2.2.1 or 2.3.0")
    kwargs: dict[str, Any] = {
        "fault": fault,
        "host": args.host,
        "port": args.port,
        "slow_seconds": args.slow_seconds,
    }
    if versions:
        kwargs["versions"] = versions
    from app.core.http import HttpSettings

    sandbox = SandboxPartner(token_a, http_settings=HttpSettings(allow_insecure=True), **kwargs)
    await sandbox.start()
    print(sandbox.versions_url, flush=True)
    print(
        f"sandbox partner NL-SBX serving OCPI {', '.join(versions or ('2.1.1', '2.2.1', '2.3.0'))};"
        f" accepting TOKEN_A {token_a.fingerprint}; fault: {fault.value}. Ctrl+C to stop.",
        file=sys.stderr,
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    seen = 0
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
            entries = sandbox.transcript.entries
            for entry in entries[seen:]:
                if entry.get("type") == "exchange":
                    print(
                        f"sandbox called back {entry['method']} {entry['url']} -> {entry['response'].get('status')}",
                        file=sys.stderr,
                        flush=True,
                    )
            seen = len(entries)
            if sandbox.registered and getattr(sandbox, "_announced", False) is False:
                sandbox._announced = True  # type: ignore[attr-defined]
                print("sandbox: a partner registered", file=sys.stderr, flush=True)
    finally:
        await sandbox.stop()
    return EXIT_OK


async def cmd_register(args: argparse.Namespace) -> int:
    from app.core.tokens import Secret, TokenRole

    token_a = Secret(read_token_file(args.token_a_file, "TOKEN_A"), TokenRole.A)
    with open_vault(args.vault) as vault:
        engine = _engine(args, vault)
        async with engine:
            _warn_wide_bind(engine)
            result = await engine.register(
                args.versions_url,
                token_a,
                ocpi_version=args.ocpi_version,
                token_encoding=args.token_encoding,
                verify=not args.no_verify,
            )
        return print_result(result, args.json)


async def cmd_invite(args: argparse.Namespace) -> int:
    from app.paths import data_dir

    with open_vault(args.vault) as vault:
        engine = _engine(args, vault)
        async with engine:
            _warn_wide_bind(engine)
            invitation = await engine.invite()
            out = (
                Path(args.token_a_out)
                if args.token_a_out
                else data_dir() / f"token-a-{invitation.run_id[:8]}.txt"
            )
            write_secret_file(out, invitation.token_a.reveal())
            print(invitation.versions_url, flush=True)
            print(
                f"TOKEN_A {invitation.token_a.fingerprint} written to {out} (mode 0600)."
                f" Send it and the versions URL above to the partner. Waiting {args.wait:.0f} s...",
                file=sys.stderr,
                flush=True,
            )
            result = await engine.wait_for_registration(invitation, args.wait)
        return print_result(result, args.json)


def write_secret_file(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    os.chmod(path, 0o600)


def _partner_json(vault: Any, partner: Any, with_tokens: bool) -> dict[str, Any]:
    data = {
        "id": partner.id,
        "peer": partner.ref,
        "country_code": partner.country_code,
        "party_id": partner.party_id,
        "business_name": partner.business_name,
        "roles": [r.get("role") for r in partner.roles if r.get("role")],
        "ocpi_version": partner.ocpi_version,
        "status": partner.status,
        "our_role": partner.our_role,
        "versions_url": partner.versions_url,
        "token_encoding": partner.token_encoding,
        "last_checked": partner.last_checked,
    }
    if with_tokens:
        data["endpoints"] = partner.endpoints
        data["credentials"] = [
            {
                "fingerprint": c.fingerprint,
                "role": str(c.role),
                "direction": str(c.direction),
                "state": str(c.state),
                "created": c.created,
                "last_used": c.last_used,
                "revoked": c.revoked,
            }
            for c in vault.tokens(partner.id)
        ]
        data["runs"] = [
            {
                "run_id": r.id,
                "kind": r.kind,
                "state": r.state,
                "outcome": r.outcome,
                "created": r.created,
            }
            for r in vault.runs(partner.id)
        ]
    return data


async def cmd_peers(args: argparse.Namespace) -> int:
    with open_vault(args.vault) as vault:
        if args.peers_command == "show":
            partner = vault.partner(args.peer)
            data = _partner_json(vault, partner, True)
            if args.json:
                print(json.dumps(data, ensure_ascii=False))
            else:
                for key, value in data.items():
                    if key in ("credentials", "runs", "endpoints"):
                        continue
                    print(f"{key}: {value}")
                print("credentials:")
                for c in data["credentials"]:
                    print(
                        f"  {c['fingerprint']}  {c['direction']:<8} {c['state']:<10} created {c['created']}"
                    )
                print("endpoints:")
                for e in data["endpoints"]:
                    print(f"  {e.get('identifier')} {e.get('role') or ''} {e.get('url')}")
            return EXIT_OK
        partners = [
            p
            for p in vault.partners(search=getattr(args, "search", None))
            if p.status != "replaced"
        ]
        rows = [_partner_json(vault, p, False) for p in partners]
        if getattr(args, "json", False):
            print(json.dumps(rows, ensure_ascii=False))
        else:
            if not rows:
                print("no partners yet", file=sys.stderr)
            for r in rows:
                print(
                    f"{r['id']:>5}  {r['peer'] or '(pending)':<8} {','.join(r['roles']):<10} "
                    f"{r['ocpi_version'] or '-':<6} {r['status']:<12} {r['business_name']}"
                )
        return EXIT_OK


async def cmd_manage(args: argparse.Namespace) -> int:
    with open_vault(args.vault) as vault:
        engine = _engine(args, vault)
        async with engine:
            operation = getattr(engine, args.command)
            result = await operation(args.peer)
        return print_result(result, args.json)


async def cmd_runs(args: argparse.Namespace) -> int:
    from app.engine.recovery import describe

    with open_vault(args.vault) as vault:
        if args.action == "list":
            runs = vault.runs(unfinished_only=True)
            if args.json:
                print(
                    json.dumps(
                        [
                            {
                                "run_id": r.id,
                                "kind": r.kind,
                                "state": r.state,
                                "outcome": r.outcome,
                                "description": describe(r),
                            }
                            for r in runs
                        ]
                    )
                )
            else:
                if not runs:
                    print("no unfinished runs", file=sys.stderr)
                for r in runs:
                    print(f"{r.id}  {describe(r)}")
            return EXIT_OK
        if not args.run:
            raise CliError(f"runs {args.action} needs a RUN id")
        engine = _engine(args, vault)
        async with engine:
            result = await engine.recover(_resolve_run(vault, args.run), args.action)
        return print_result(result, args.json)


def _resolve_run(vault: Any, text: str) -> str:
    matches: list[str] = [r.id for r in vault.runs() if r.id.startswith(text)]
    if len(matches) != 1:
        raise CliError(
            f"run {text!r} not found" if not matches else f"run prefix {text!r} is ambiguous"
        )
    return matches[0]


async def cmd_transcript(args: argparse.Namespace) -> int:
    from app.core.diagnosis import OnboardingError
    from app.core.transcript_export import export, run_meta

    with open_vault(args.vault) as vault:
        run_id = _resolve_run(vault, args.run)
        run = vault.run(run_id)
        entries = vault.transcript(run_id)
        partner_ref = None
        if run.partner_id is not None:
            with contextlib.suppress(OnboardingError):
                partner_ref = vault.partner(run.partner_id).ref
        code = (run.diagnosis or {}).get("code")
        meta = run_meta(run.id, run.kind, run.state, run.outcome, run.created, partner_ref, code)
        text = export(entries, meta, args.format)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, "utf-8")
    print(f"wrote {len(entries)} entries to {args.output}", file=sys.stderr)
    return EXIT_OK


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


COMMANDS = {
    "sandbox": cmd_sandbox,
    "register": cmd_register,
    "invite": cmd_invite,
    "peers": cmd_peers,
    "rotate": cmd_manage,
    "unregister": cmd_manage,
    "check": cmd_manage,
    "runs": cmd_runs,
    "transcript": cmd_transcript,
}


def main(argv: list[str] | None = None) -> int:
    from app.core.diagnosis import OnboardingError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.self_test:
            return asyncio.run(self_test())
        if not args.command:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        if args.command == "transcript" and getattr(args, "transcript_command", None) != "export":
            raise CliError("usage: ocpi-onboard transcript export RUN --format FMT --output FILE")
        if args.command == "peers" and not getattr(args, "peers_command", None):
            args.peers_command = "list"
        return asyncio.run(COMMANDS[args.command](args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OnboardingError as exc:
        d = exc.diagnosis
        if getattr(args, "json", False):
            print(
                json.dumps(
                    {
                        "status": "failed",
                        "peer": None,
                        "ocpi_version": None,
                        "token_c_fingerprint": None,
                        "mutual_discovery": "unknown",
                        "diagnosis": d.to_dict(),
                        "run_id": None,
                    }
                )
            )
        print(f"error [{d.code}]: {d.message}\nfix: {d.hint}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
