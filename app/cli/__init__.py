"""Headless CLI (docs/cli-contract.md): the engine without Qt.

One module per command group; each declares its sub-parsers and returns its handlers, so a
new command is a new module plus one line in COMMAND_MODULES. Exit 0 only on success;
diagnoses go to stderr (and into --json output).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Coroutine
from types import ModuleType
from typing import Any

from app import __version__
from app.cli import (
    audit_cmd,
    check_cmd,
    handshake_cmds,
    manage_cmds,
    peers,
    profiles_cmd,
    team_cmds,
    transcript_cmd,
    verify_cmd,
)
from app.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    Handler,
    read_token_file,
    write_secret_file,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CliError",
    "build_parser",
    "main",
    "read_token_file",
    "write_secret_file",
]

COMMAND_MODULES: tuple[ModuleType, ...] = (
    handshake_cmds,
    peers,
    manage_cmds,
    check_cmd,
    verify_cmd,
    transcript_cmd,
    audit_cmd,
    team_cmds,
    profiles_cmd,
)


def _build() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    parser = argparse.ArgumentParser(prog="ocpi-onboard", description="OCPI credentials onboarding")
    parser.add_argument("--version", action="version", version=f"ocpi-onboard {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="run a sandbox handshake through engine and vault in a temp dir",
    )
    sub = parser.add_subparsers(dest="command")
    handlers: dict[str, Handler] = {}
    for module in COMMAND_MODULES:
        handlers.update(module.add_parsers(sub))
    return parser, handlers


def build_parser() -> argparse.ArgumentParser:
    """The whole argument parser (also used by tests and --help)."""
    return _build()[0]


# Commands whose handler never awaits run without an event loop, so asyncio (and ssl with
# it) is never imported: `peers list` is what scripts run most (issue 13).
LOOPLESS = frozenset({"peers", "profiles"})
# Commands that import the engine before opening the vault: its scrypt runs beside those
# imports (app/cli/unlock_ahead.py).
UNLOCK_AHEAD = frozenset({"register", "check"})


def _run(coro: Coroutine[Any, Any, int], loopless: bool) -> int:
    if loopless:
        try:
            coro.send(None)
        except StopIteration as done:
            return int(done.value)
        coro.close()
        raise RuntimeError("a command listed in LOOPLESS awaited something")
    import asyncio

    return asyncio.run(coro)


def main(argv: list[str] | None = None) -> int:
    from app.core.diagnosis import OnboardingError

    parser, handlers = _build()
    args = parser.parse_args(argv)
    try:
        if args.self_test:
            from app.cli.selftest import self_test

            return _run(self_test(), loopless=False)
        if not args.command:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        if args.command == "transcript" and getattr(args, "transcript_command", None) != "export":
            raise CliError("usage: ocpi-onboard transcript export RUN --format FMT --output FILE")
        if args.command == "peers" and not getattr(args, "peers_command", None):
            args.peers_command = "list"
        if args.command in UNLOCK_AHEAD:
            from app.cli.unlock_ahead import start

            start(getattr(args, "vault", None))
        return _run(handlers[args.command](args), args.command in LOOPLESS)
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
