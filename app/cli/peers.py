"""`peers list|show`: what the vault knows about each partner."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.cli.common import EXIT_OK, Handler, add_common, open_vault
from app.engine.connection_health import extra_findings
from app.engine.health import Health, partners_health


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    """Declare `peers list|show`; return its handler."""
    p = sub.add_parser("peers", help="list or show partners")
    peers_sub = p.add_subparsers(dest="peers_command")
    pl = peers_sub.add_parser("list")
    pl.add_argument("--json", action="store_true")
    pl.add_argument("--search", default=None)
    add_common(pl)
    ps = peers_sub.add_parser("show")
    ps.add_argument("peer")
    ps.add_argument("--json", action="store_true")
    add_common(ps)
    add_common(p)

    return {"peers": cmd_peers}


def _partner_json(vault: Any, partner: Any, health: Health, with_tokens: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
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
        "health": health.level,
        "warnings": health.warnings_json(),
        "sandbox": health.sandbox,
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
    from app.settings import load_settings

    with open_vault(args.vault) as vault:
        if args.peers_command == "show":
            partner = vault.partner(args.peer)
            # a sandbox lives only inside the app that started it: none runs here
            _facts, extra = extra_findings(vault, [partner], load_settings().rotation_days)
            health = partners_health(vault, [partner], extra=extra)[partner.id]
            data = _partner_json(vault, partner, health, True)
            if args.json:
                print(json.dumps(data, ensure_ascii=False))
            else:
                for key, value in data.items():
                    if key in ("credentials", "runs", "endpoints", "warnings"):
                        continue
                    print(f"{key}: {value}")
                for warning in data["warnings"]:
                    print(f"{warning['level']}: {warning['message']}")
                    print(f"  fix: {warning['hint']}")
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
        _facts, extra = extra_findings(vault, partners, load_settings().rotation_days)
        verdicts = partners_health(vault, partners, extra=extra)
        rows = [_partner_json(vault, p, verdicts[p.id], False) for p in partners]
        if getattr(args, "json", False):
            print(json.dumps(rows, ensure_ascii=False))
        else:
            if not rows:
                print("no partners yet", file=sys.stderr)
            for r in rows:
                badge = verdicts[r["id"]].badge
                print(
                    f"{r['id']:>5}  {r['peer'] or '(pending)':<8} {','.join(r['roles']):<10} "
                    f"{r['ocpi_version'] or '-':<6} {r['status']:<12} {r['health']:<8} "
                    f"{r['business_name']}{f'  [{badge}]' if badge else ''}"
                )
        return EXIT_OK
