"""`check PEER | --all [--accept-drift] [--json]`: liveness and drift (docs/cli-contract.md).

Each partner: GET versions and version details with TOKEN_C, compared with the snapshot
stored at registration (or the last accepted one). `--all` checks every registered
partner and prints {"peers": [...]}; exit 0 only when every checked partner is ok and has
no drift, so a cron job or CI can watch all partners.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    Handler,
    add_common,
    add_network,
    make_engine,
    open_vault,
    print_result,
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    """Declare `check`; return its handler."""
    p = sub.add_parser("check", help="liveness and drift: GET versions and details with TOKEN_C")
    p.add_argument("peer", nargs="?", help="a peer id or CC-PID (or --all)")
    p.add_argument("--all", action="store_true", help="check every registered partner")
    p.add_argument(
        "--accept-drift",
        action="store_true",
        help="store what the partner offers now as the new baseline (a newer common version"
        " is taken by a credentials PUT at that version)",
    )
    add_network(p)
    add_common(p)
    return {"check": cmd_check}


def _clean(result: Any) -> bool:
    return bool(result.ok) and not result.extra.get("drift")


def _print_drift(result: Any) -> None:
    data = result.to_json()
    for key in ("token_age_days", "tls_expires_days"):
        if data.get(key) is not None:
            print(f"{key}: {data[key]}")
    for item in data.get("drift") or []:
        print(f"drift: {item['what']}: {item['before']} -> {item['after']}")
    for item in data.get("accepted_drift") or []:
        print(f"accepted: {item['what']}: {item['before']} -> {item['after']}")
    if data.get("upgraded_to"):
        print(f"upgraded to OCPI {data['upgraded_to']}")
    if data.get("drift"):
        print(
            "drift stays reported until accepted: check PEER --accept-drift (or in the app)",
            file=sys.stderr,
        )


async def cmd_check(args: argparse.Namespace) -> int:
    from app.engine.drift_check import check_all, check_partner

    if bool(args.all) == bool(args.peer):
        raise CliError("check wants a PEER or --all (not both)")
    with open_vault(args.vault) as vault:
        # Accepting drift may rotate (the partner calls us back); a plain check only calls out.
        engine = make_engine(args, vault, serve=bool(args.accept_drift))
        async with engine:
            if args.peer:
                result = await check_partner(engine, args.peer, args.accept_drift)
                results = [result]
            else:
                results = await check_all(engine, args.accept_drift)
    if args.all:
        if args.json:
            print(json.dumps({"peers": [r.to_json() for r in results]}, ensure_ascii=False))
        else:
            for result in results:
                peer = result.peer or {}
                state = "ok" if _clean(result) else ("drift" if result.ok else "failed")
                print(f"{peer.get('country_code')}-{peer.get('party_id')}: {state}")
                _print_drift(result)
    else:
        code = print_result(results[0], args.json)
        if not args.json:
            _print_drift(results[0])
        if code != EXIT_OK:
            return code
    return EXIT_OK if all(_clean(r) for r in results) else EXIT_FAILED
