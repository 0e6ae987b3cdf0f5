"""CLI commands on a registered partner (rotate, unregister, check) and run recovery."""

from __future__ import annotations

import argparse
import json
import sys

from app.cli.common import (
    EXIT_OK,
    CliError,
    Handler,
    add_common,
    add_listen,
    add_network,
    make_engine,
    open_vault,
    print_result,
    read_token_file,
    resolve_run,
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    """Declare rotate, unregister, check and runs; return their handlers."""
    for name, text in (
        ("rotate", "new credentials: PUT, or DELETE and register again (the partner's profile)"),
        ("unregister", "DELETE our credentials"),
        ("check", "GET versions with TOKEN_C"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("peer")
        if name == "rotate":
            p.add_argument(
                "--token-a-file",
                default=None,
                help="a fresh TOKEN_A from the partner ('-' = stdin): rotate by DELETE and a"
                " new registration (hubs that cannot rotate by PUT)",
            )
            add_listen(p)
        add_network(p)
        add_common(p)

    p = sub.add_parser("runs", help="list runs; recover one found mid-way")
    p.add_argument("action", nargs="?", choices=("list", "resume", "cleanup"), default="list")
    p.add_argument("run", nargs="?")
    add_network(p)
    add_common(p)

    return {"rotate": cmd_manage, "unregister": cmd_manage, "check": cmd_manage, "runs": cmd_runs}


async def cmd_manage(args: argparse.Namespace) -> int:
    token_a = None
    if args.command == "rotate" and getattr(args, "token_a_file", None):
        from app.core.tokens import Secret, TokenRole

        token_a = Secret(read_token_file(args.token_a_file, "TOKEN_A"), TokenRole.A)
    with open_vault(args.vault) as vault:
        engine = make_engine(args, vault)
        async with engine:
            if args.command == "rotate":
                result = await engine.rotate(args.peer, token_a)
            else:
                result = await getattr(engine, args.command)(args.peer)
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
        engine = make_engine(args, vault)
        async with engine:
            result = await engine.recover(resolve_run(vault, args.run), args.action)
        return print_result(result, args.json)
