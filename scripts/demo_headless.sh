#!/usr/bin/env bash
# Headless demo: a sandbox partner on loopback and a full registration against it through
# the CLI, in a throw-away vault. Prints the CLI's JSON result.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill "${sandbox_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
export OCPI_ONBOARD_PASSPHRASE=${OCPI_ONBOARD_PASSPHRASE:-demo-passphrase}
umask 077
.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(32))" > "$work/token_a"
.venv/bin/python main.py sandbox --port 0 --token-a-file "$work/token_a" > "$work/sandbox.out" &
sandbox_pid=$!
for _ in $(seq 1 100); do [ -s "$work/sandbox.out" ] && break; sleep 0.1; done
url=$(head -n 1 "$work/sandbox.out")
echo "Sandbox partner at $url" >&2
.venv/bin/python main.py register --vault "$work/vault.db" --versions-url "$url" \
  --token-a-file "$work/token_a" --country-code DE --party-id ONB --role EMSP \
  --business-name "Demo eMSP" --json
.venv/bin/python main.py peers list --vault "$work/vault.db"
