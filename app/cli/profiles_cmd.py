"""`profiles list|show`: the built-in presets, a profile file, or a partner's vault copy.

`profiles list --json` prints {"profiles": [{"name", "title", "source"}]}; `profiles show
NAME --json` prints every key of the profile with defaults filled in, plus name, title and
source (docs/cli-contract.md). A stored client key is never printed, only that it is stored.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.cli.common import EXIT_OK, CliError, Handler, add_common, open_vault


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    """Declare `profiles list|show`; return its handler."""
    p = sub.add_parser("profiles", help="list or show partner profiles (built-in presets)")
    profiles_sub = p.add_subparsers(dest="profiles_command")
    pl = profiles_sub.add_parser("list", help="the built-in presets")
    pl.add_argument("--json", action="store_true")
    add_common(pl)
    ps = profiles_sub.add_parser(
        "show", help="every key of a preset, a profile file, or a partner's stored profile"
    )
    ps.add_argument("name", help="a preset name, a .toml file, or a partner (CC-PID)")
    ps.add_argument("--json", action="store_true")
    add_common(ps)
    add_common(p)
    return {"profiles": cmd_profiles}


async def cmd_profiles(args: argparse.Namespace) -> int:
    from app.core.profile import ProfileError
    from app.engine.profiles import listing, resolve

    command = getattr(args, "profiles_command", None) or "list"
    try:
        if command == "list":
            profiles = listing()
            if getattr(args, "json", False):
                rows = [{"name": p.name, "title": p.title, "source": p.source} for p in profiles]
                print(json.dumps({"profiles": rows}, ensure_ascii=False))
            else:
                for profile in profiles:
                    print(f"{profile.name:20} {profile.title}")
            return EXIT_OK
        try:
            profile = resolve(args.name)
        except ProfileError as exc:
            profile = _from_vault(args, args.name)
            if profile is None:
                raise CliError(str(exc)) from None
    except ProfileError as exc:
        raise CliError(str(exc)) from None
    data = profile.to_json()
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False))
    else:
        for key, value in data.items():
            print(f"{key}: {value}")
        print("what it changes:")
        for line in profile.changes():
            print(f"  - {line}")
    return EXIT_OK


def _from_vault(args: argparse.Namespace, name: str) -> Any:
    """A partner's stored profile (`profiles show NL-ABC`), when NAME looks like a peer."""
    if "-" not in name or name.endswith(".toml"):
        return None
    from dataclasses import replace

    from app.vault import VaultError
    from app.vault.profiles import ProfileStore

    try:
        with open_vault(args.vault) as vault:
            partner = vault.partner(name)
            assert partner.id is not None
            profile = ProfileStore(vault).load(partner.id)
    except VaultError as exc:
        print(f"note: {exc}", file=sys.stderr)
        return None
    if profile is None:
        return None
    return replace(profile, name=partner.ref, source="vault")
