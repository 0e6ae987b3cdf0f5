"""CLI commands that run a handshake: sandbox (a partner to rehearse with), register, invite."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

from app.cli.common import (
    EXIT_OK,
    CliError,
    Handler,
    add_common,
    add_identity,
    add_listen,
    add_network,
    import_engine,
    make_engine,
    open_vault,
    print_result,
    read_token_file,
    warn_wide_bind,
    write_secret_file,
)
from app.cli.profile_args import add_profile_args, add_serve_tls_args, profile_from_args
from app.cli.sandbox_hub import add_hub_args, make_sandbox


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    """Declare sandbox, register and invite; return their handlers."""
    p = sub.add_parser("sandbox", help="serve a sandbox partner on 127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--ocpi-version", default=None, help="serve only this version (default: all)")
    p.add_argument(
        "--token-a-file", required=True, help="file holding the TOKEN_A it accepts ('-' = stdin)"
    )
    p.add_argument("--fault", default="none", help="fault mode to rehearse (see docs)")
    add_hub_args(p)
    p.add_argument("--slow-seconds", type=float, default=2.0, help=argparse.SUPPRESS)
    p.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    add_common(p)

    p = sub.add_parser("register", help="register with a partner (we are the credentials Sender)")
    p.add_argument("--versions-url", required=True)
    p.add_argument("--token-a-file", required=True, help="file holding TOKEN_A ('-' = stdin)")
    add_identity(p, required=True)
    p.add_argument("--ocpi-version", default=None)
    p.add_argument("--token-encoding", choices=("auto", "base64", "raw", "plain"), default=None)
    add_profile_args(p)
    add_listen(p)
    add_serve_tls_args(p)
    p.add_argument(
        "--own-versions-url", default=None, help="external mode: our platform's versions URL"
    )
    p.add_argument(
        "--token-b-file", default=None, help="external mode: TOKEN_B provisioned on our platform"
    )
    p.add_argument("--no-verify", action="store_true", help="skip the check with TOKEN_C")
    add_network(p)
    add_common(p)

    p = sub.add_parser("invite", help="let a partner register with us (we are the Receiver)")
    add_listen(p)
    add_identity(p, required=False)
    p.add_argument("--token-a-out", default=None, help="write the new TOKEN_A here (mode 0600)")
    p.add_argument("--wait", type=float, default=600.0, help="seconds to wait for the partner")
    add_serve_tls_args(p)
    add_network(p)
    add_common(p)

    return {"sandbox": cmd_sandbox, "register": cmd_register, "invite": cmd_invite}


async def cmd_sandbox(args: argparse.Namespace) -> int:
    import asyncio

    from app.core.tokens import Secret, TokenRole
    from app.sandbox import Fault

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

    sandbox = make_sandbox(args, token_a, HttpSettings(allow_insecure=True), **kwargs)
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
                sandbox._announced = True
                print("sandbox: a partner registered", file=sys.stderr, flush=True)
    finally:
        await sandbox.stop()
    return EXIT_OK


async def cmd_register(args: argparse.Namespace) -> int:
    from app.core.tokens import Secret, TokenRole

    profile = profile_from_args(args)  # a bad profile stops before TOKEN_A is read
    token_a = Secret(read_token_file(args.token_a_file, "TOKEN_A"), TokenRole.A)
    import_engine(serve=not getattr(args, "own_versions_url", None))  # beside the key derivation
    with open_vault(args.vault) as vault:
        engine = make_engine(args, vault)
        async with engine:
            warn_wide_bind(engine)
            result = await engine.register(
                args.versions_url,
                token_a,
                ocpi_version=args.ocpi_version,
                token_encoding=args.token_encoding,
                verify=not args.no_verify,
                profile=profile,
            )
        return print_result(result, args.json)


async def cmd_invite(args: argparse.Namespace) -> int:
    from app.paths import data_dir

    with open_vault(args.vault) as vault:
        engine = make_engine(args, vault)
        async with engine:
            warn_wide_bind(engine)
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
