"""Write docs/verify-checks.md from the check catalogue (app/engine/verify_checks.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.engine.verify_checks import CATALOGUE  # noqa: E402

HEAD = """# Verify checks

`ocpi-onboard verify PEER [--probe-auth] [--json]` runs these checks against a registered
partner with the token we present to it (TOKEN_C as Sender). Ids are stable: a report from
today can be compared with one from last year. Each check is `pass`, `warn`, `fail` or `skip`;
the run exits 0 when nothing failed. The `page.*`, `pagination.*` and `objects.*` checks run
for the modules our role reads from the partner (as eMSP: locations, sessions, cdrs, tariffs;
as CPO: tokens), each with one `limit=1` page. `auth.*` are skipped unless `--probe-auth` is
given. A spec section is the OCPI 2.2.1 document (as named in the ocpi/ocpi repository) and
its heading; 2.1.1 and 2.3.0 use the same documents and headings.

Rehearse each deviation against the sandbox (`ocpi-onboard sandbox --fault F`):
`no-request-id-echo` (headers.request_ids warns), `missing-module` (roles.fit warns),
`open-endpoint` (auth.no_token fails), `lying-pagination` (pagination.* fail), `wrong-role`
(roles.fit fails).

| id | check | spec section | fix when it warns or fails |
|---|---|---|---|
"""


def render() -> str:
    rows = [f"| `{c.id}` | {c.title} | {c.spec} | {c.fix} |" for c in CATALOGUE.values()]
    tail = "\nThe catalogue lives in `app/engine/verify_checks.py`; regenerate this file with\n`.venv/bin/python scripts/verify_checks_doc.py` (a test keeps the two in step).\n"
    return HEAD + "\n".join(rows) + "\n" + tail


if __name__ == "__main__":
    (ROOT / "docs" / "verify-checks.md").write_text(render(), "utf-8")
