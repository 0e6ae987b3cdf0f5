"""All six figures of issue 13 in one go: runs each benchmark and prints its [N] lines.

    .venv/bin/python benchmarks/targets.py [--quick] [--skip startup,ui]

  [1] usable main window and RSS  benchmarks/startup.py      (needs dist/: packaging/build.sh)
  [2] whole-process CLI           benchmarks/cli_process.py
  [3] engine in process           benchmarks/handshake.py
  [4] UI event-loop stalls        benchmarks/ui_latency.py   (offscreen, then --xvfb)
  [5] vault at 10,000 partners    benchmarks/vault.py
  [6] onedir size                 benchmarks/startup.py

Each ratio comes from one run of its script, both sides measured side by side in it. The
full output of every script goes to stderr; the summary lines to stdout.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

RUNS: dict[str, tuple[list[str], list[str]]] = {
    # name: (full arguments, --quick arguments)
    "startup": (["startup.py", "--runs", "7"], ["startup.py", "--runs", "3"]),
    "cli": (["cli_process.py", "--runs", "9"], ["cli_process.py", "--runs", "3"]),
    "handshake": (["handshake.py", "--rounds", "30"], ["handshake.py", "--rounds", "8"]),
    "ui": (["ui_latency.py"], ["ui_latency.py", "--runs", "2", "--idle", "1"]),
    "ui-xvfb": (["ui_latency.py", "--xvfb"], ["ui_latency.py", "--xvfb", "--runs", "2"]),
    "vault": (["vault.py"], ["vault.py", "--repeat", "5"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds each")
    parser.add_argument("--skip", default="", help="comma-separated names: " + ",".join(RUNS))
    args = parser.parse_args()
    skip = {name for name in args.skip.split(",") if name}
    summary: list[str] = []
    for name, (full, quick) in RUNS.items():
        if name in skip:
            continue
        script, *rest = quick if args.quick else full
        command = [sys.executable, str(HERE / script), *rest]
        print(f"--- {' '.join(command[1:])}", file=sys.stderr, flush=True)
        proc = subprocess.run(command, capture_output=True, text=True)
        sys.stderr.write(proc.stdout + proc.stderr[-3000:])
        lines = [line for line in proc.stdout.splitlines() if line.startswith("[")]
        if proc.returncode != 0 and not lines:
            lines = [f"[?] {name}: exited {proc.returncode}"]
        summary += [f"{line}   <- benchmarks/{script}" for line in lines]
    print("\n".join(sorted(summary)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
