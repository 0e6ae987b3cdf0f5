"""What partner health costs: `partners_health` and `peers list --json` with many partners.

Each partner gets a succeeded registration (verified) and a succeeded check, the runs the
health rules read. Prints the in-process time of `partners_health` over all partners (one
run query) beside a plain `vault.partners()` listing (the ratio is the cost of health), and
the wall time of `peers list --json` as a subprocess (interpreter start and scrypt included).

Run: .venv/bin/python benchmarks/peers_health.py [--partners 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.engine.health import partners_health  # noqa: E402
from app.vault import PartnerRecord, Vault  # noqa: E402

PASSPHRASE = "benchmark passphrase"


def populate(vault: Vault, count: int) -> None:
    with vault.transaction(durable=False):
        for i in range(count):
            rec = vault.save_partner(
                PartnerRecord(
                    None,
                    "NL",
                    f"P{i:05d}",
                    status="registered",
                    versions_url=f"https://p{i}.example/ocpi/versions",
                )
            )
            run = vault.start_run(
                "register",
                rec.id,
                state="verified",
                data={
                    "versions_url": rec.versions_url,
                    "mutual_discovery": "complete",
                    "verify": {"status": "passed"},
                },
            )
            vault.update_run(run.id, outcome="succeeded")
            check = vault.start_run("check", rec.id, state="checked")
            vault.update_run(check.id, outcome="succeeded")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vault.db"
        with Vault.open(path, passphrase=PASSPHRASE, use_keyring=False) as vault:
            populate(vault, args.partners)
            listing, health = [], []
            for _ in range(args.repeat):
                start = time.perf_counter()
                partners = vault.partners()
                listing.append(time.perf_counter() - start)
                start = time.perf_counter()
                verdicts = partners_health(vault, partners)
                health.append(time.perf_counter() - start)
            assert all(v.level == "ok" for v in verdicts.values())
        env = dict(
            os.environ,
            OCPI_ONBOARD_PASSPHRASE=PASSPHRASE,
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        )
        walls = []
        command = [sys.executable, str(ROOT / "main.py"), "peers", "list", "--json"]
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(
                [*command, "--vault", str(path)],
                env=env,
                capture_output=True,
                check=True,
                timeout=120,
            )
            walls.append(time.perf_counter() - start)
    list_ms = statistics.median(listing) * 1000
    health_ms = statistics.median(health) * 1000
    print(f"partners: {args.partners}")
    print(f"vault.partners():      {list_ms:8.1f} ms (median of {args.repeat})")
    print(f"partners_health(...):  {health_ms:8.1f} ms  ratio {health_ms / list_ms:.1f}x listing")
    print(f"peers list --json:     {statistics.median(walls):8.2f} s wall (subprocess)")


if __name__ == "__main__":
    main()
