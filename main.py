"""Launcher: no arguments opens the app's window; a subcommand or option runs the CLI."""

from __future__ import annotations

import sys


def main() -> int:
    args = sys.argv[1:]
    if not args or args[0] in ("--gui", "--sandbox"):  # the CLI has no --sandbox option
        from app.gui.app import run_gui

        return run_gui(args)
    from app.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
