"""Launcher: no arguments opens the app's window; a subcommand or option runs the CLI."""

from __future__ import annotations

import sys


def main() -> int:
    args = sys.argv[1:]
    # the CLI has no --sandbox option; packaging/rthook_early_key.py makes the same test
    if not args or args[0] in ("--gui", "--sandbox"):
        from app.gui.app import run_gui

        return run_gui(args)
    from app.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
