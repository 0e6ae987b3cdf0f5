"""`verify PEER [--probe-auth] [--json]`: the read-only conformance run (docs/cli-contract.md)."""

from __future__ import annotations

import argparse
import json
import sys

from app.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Handler,
    add_common,
    add_network,
    make_engine,
    open_vault,
)

_MARKS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    """Declare `verify`; return its handler."""
    p = sub.add_parser("verify", help="read-only conformance run of a registered connection")
    p.add_argument("peer")
    p.add_argument(
        "--probe-auth",
        action="store_true",
        help="also send one request without a token and one with a wrong token (expect 401)",
    )
    add_network(p)
    add_common(p)
    return {"verify": cmd_verify}


async def cmd_verify(args: argparse.Namespace) -> int:
    with open_vault(args.vault) as vault:
        engine = make_engine(args, vault)
        async with engine:
            report = await engine.verify(args.peer, probe_auth=args.probe_auth)
    data = report.to_json()
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(
            f"peer: {data['peer']}  ocpi_version: {data['ocpi_version']}  run_id: {data['run_id']}"
        )
        for check in data["checks"]:
            print(f"{_MARKS[check['status']]:4}  {check['id']:24}  {check['detail']}")
            if check["fix"]:
                print(f"      fix: {check['fix']}")
        summary = data["summary"]
        print(", ".join(f"{summary[s]} {s}" for s in ("pass", "warn", "fail", "skip")))
    if not report.ok:
        print("verify: at least one check failed", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED
