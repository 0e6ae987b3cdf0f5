"""`team init|add|remove|list` and `vault migrate --to URL`: the team vault on PostgreSQL.

`team` commands need a team vault (``--vault postgresql://...``); the acting member is
OCPI_ONBOARD_MEMBER (default: the OS user) and unlocks with OCPI_ONBOARD_PASSPHRASE.
`team add` reads the new member's passphrase from stdin (first line), never the command
line. `vault migrate` copies this (personal) vault into a team vault and verifies the copy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from app.cli.common import EXIT_OK, CliError, Handler, add_common, open_vault

TEAM_PASSPHRASE_ENV = "OCPI_ONBOARD_TEAM_PASSPHRASE"
MIN_PASSPHRASE = 8


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    """Declare `team ...` and `vault migrate`; return their handlers."""
    p = sub.add_parser("team", help="members of a team vault (PostgreSQL)")
    tsub = p.add_subparsers(dest="team_command")
    add_common(tsub.add_parser("init", help="make this database a team vault (you first)"))
    for name, text in (
        ("add", "add a member (passphrase on stdin)"),
        ("remove", "remove a member and re-key"),
    ):
        q = tsub.add_parser(name, help=text)
        q.add_argument("member")
        add_common(q)
    tl = tsub.add_parser("list", help="list the members")
    tl.add_argument("--json", action="store_true")
    add_common(tl)
    add_common(p)

    v = sub.add_parser("vault", help="move this vault into a team vault")
    vsub = v.add_subparsers(dest="vault_command")
    vm = vsub.add_parser("migrate", help="copy partners, tokens, runs and audit to a team vault")
    vm.add_argument("--to", required=True, dest="to", help="postgresql://... of the team vault")
    vm.add_argument("--json", action="store_true")
    add_common(vm)
    add_common(v)
    return {"team": cmd_team, "vault": cmd_vault}


def _read_new_passphrase() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if len(line) < MIN_PASSPHRASE:
        raise CliError(
            f"team add reads the new member's passphrase from stdin: at least {MIN_PASSPHRASE}"
            " characters on the first line"
        )
    return line


def _team_vault(vault: object) -> object:
    from app.vault import TeamVault, VaultError

    if not isinstance(vault, TeamVault):
        raise VaultError("vault.team_only", "this is a personal vault file")
    return vault


async def cmd_team(args: argparse.Namespace) -> int:
    from app.vault import TeamVault

    command = getattr(args, "team_command", None)
    if command not in ("init", "add", "remove", "list"):
        raise CliError("usage: ocpi-onboard team init | add MEMBER | remove MEMBER | list [--json]")
    with open_vault(args.vault) as opened:
        vault = _team_vault(opened)
        assert isinstance(vault, TeamVault)
        if command == "add":
            info = vault.add_member(args.member, _read_new_passphrase())
            print(f"added {info.name} (key {info.key_fingerprint})")
        elif command == "remove":
            count = vault.remove_member(args.member)
            print(f"removed {args.member}; re-keyed: {count} tokens re-encrypted under a new key")
        members = vault.members()
        if command == "list" and args.json:
            print(json.dumps({"members": [m.to_json() for m in members]}))
        elif command in ("list", "init"):
            if command == "init":
                print(f"team vault ready: {vault.location} (you are {vault.member})")
            for m in members:
                mark = " (you)" if m.name == vault.member else ""
                print(f"{m.name}{mark}  key {m.key_fingerprint}  since {m.created}")
    return EXIT_OK


async def cmd_vault(args: argparse.Namespace) -> int:
    from app.vault import TeamVault, Vault, is_database_url
    from app.vault.transfer import migrate_vault

    if getattr(args, "vault_command", None) != "migrate":
        raise CliError("usage: ocpi-onboard vault migrate --to postgresql://...")
    if not is_database_url(args.to):
        raise CliError("vault migrate --to wants the team vault's postgresql://... URL")
    with open_vault(args.vault) as source:
        if isinstance(source, TeamVault):
            raise CliError("--vault names the personal vault to copy from, not a team vault")
        team_passphrase = os.environ.get(TEAM_PASSPHRASE_ENV) or None
        with Vault.open(args.to.strip(), team_passphrase) as target:
            report = migrate_vault(source, target)
            where = target.location
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        counts = ", ".join(f"{n} {what}" for what, n in report.counts.items())
        print(f"copied into {where}: {counts}; {report.fingerprints} token fingerprints verified")
    return EXIT_OK
