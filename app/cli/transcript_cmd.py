"""`transcript export`: a run's redacted record in HAR, HTML, Markdown or JSON."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from app.cli.common import EXIT_OK, Handler, add_common, open_vault, resolve_run
from app.core.atomic import write_private


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    """Declare `transcript export`; return its handler."""
    p = sub.add_parser("transcript", help="export a run's transcript")
    tsub = p.add_subparsers(dest="transcript_command")
    te = tsub.add_parser("export")
    te.add_argument("run")
    te.add_argument("--format", choices=("har", "html", "md", "json"), required=True)
    te.add_argument("--output", required=True, type=Path)
    add_common(te)
    add_common(p)
    return {"transcript": cmd_transcript}


async def cmd_transcript(args: argparse.Namespace) -> int:
    from app.core.diagnosis import OnboardingError
    from app.core.transcript_export import export, run_meta

    with open_vault(args.vault) as vault:
        run_id = resolve_run(vault, args.run)
        run = vault.run(run_id)
        entries = vault.transcript(run_id)
        partner_ref = None
        if run.partner_id is not None:
            with contextlib.suppress(OnboardingError):
                partner_ref = vault.partner(run.partner_id).ref
        code = (run.diagnosis or {}).get("code")
        meta = run_meta(run.id, run.kind, run.state, run.outcome, run.created, partner_ref, code)
        vault.audit.record("transcript-export", partner_id=run.partner_id, run_id=run.id)
        audit = [event.to_json() for event in vault.audit.events(run_id=run.id)]
        text = export(entries, meta, args.format, audit)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_private(args.output, text)
    print(f"wrote {len(entries)} entries to {args.output}", file=sys.stderr)
    return EXIT_OK
