#!/usr/bin/env bash
# Sets everything up, then starts OCPI Onboard on its built-in sandbox partner.
# With a display: the app's window, the onboarding wizard prefilled with the sandbox.
# Without one (a server, CI): a headless demo through the CLI, same engine and vault.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec .venv/bin/python main.py --sandbox "$@"
fi
echo "No display found: running the headless sandbox demo (use a desktop session for the window)." >&2
exec bash scripts/demo_headless.sh
