#!/usr/bin/env bash
# Sets up everything OCPI Onboard needs on a fresh Debian machine with Python 3.11:
# the Debian libraries Qt needs (offscreen and a real window), a virtualenv in .venv,
# and the app with its test and packaging extras. Idempotent: a second run is fast.
set -euo pipefail
cd "$(dirname "$0")/.."

qt_libs=(libgl1 libegl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
  libxcb-render-util0 libxcb-image0 libxcb-randr0 libxcb-xkb1 libx11-xcb1 xvfb xauth)
# PostgreSQL server binaries (initdb, pg_ctl, pg_dump): the tests start a throwaway cluster
# for the team vault; the app itself only needs a server URL.
db_pkgs=(postgresql)
missing=()
for pkg in "${qt_libs[@]}" "${db_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev${EXTRAS:-}]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
