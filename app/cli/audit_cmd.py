"""`audit list|verify`: who did what with which partner's tokens, and whether the record
was altered. Fingerprints only, never a token."""

from __future__ import annotations

import argparse
import json
import sys

from app.cli.common import EXIT_FAILED, EXIT_OK, CliError, Handler, add_common, open_vault


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    """Declare `audit list [--peer PEER] [--json] | verify [--json]`; return the handler."""
    p = sub.add_parser("audit", help="the audit trail of secret actions")
    asub = p.add_subparsers(dest="audit_command")
    al = asub.add_parser("list", help="list audit events, oldest first")
    al.add_argument("--peer", default=None, help="only events about this partner (id or CC-PID)")
    al.add_argument("--json", action="store_true")
    add_common(al)
    av = asub.add_parser("verify", help="exit 0 only when the hash chain is intact")
    av.add_argument("--json", action="store_true")
    add_common(av)
    add_common(p)
    return {"audit": cmd_audit}


async def cmd_audit(args: argparse.Namespace) -> int:
    from app.core.diagnosis import OnboardingError

    command = getattr(args, "audit_command", None)
    if command not in ("list", "verify"):
        raise CliError("usage: ocpi-onboard audit list [--peer PEER] [--json] | verify [--json]")
    with open_vault(args.vault) as vault:
        if command == "verify":
            check = vault.audit.verify()
            if args.json:
                print(json.dumps(check.to_json()))
            else:
                state = "intact" if check.intact else "BROKEN"
                print(f"audit trail {state}: {check.events} events")
                for problem in check.problems:
                    print(f"row {problem['seq']}: {problem['problem']}", file=sys.stderr)
            return EXIT_OK if check.intact else EXIT_FAILED
        partner_id, peer = None, None
        if args.peer:
            peer = args.peer.strip()
            try:
                partner_id = vault.partner(peer).id
            except OnboardingError:
                partner_id = None
        events = vault.audit.events(partner_id=partner_id, peer=peer)
    if args.json:
        print(json.dumps({"events": [e.to_json() for e in events]}, ensure_ascii=False))
    else:
        if not events:
            print("no audit events", file=sys.stderr)
        for event in events:
            print(event.line())
    return EXIT_OK
