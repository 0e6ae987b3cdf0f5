#!/usr/bin/env bash
# Builds the double-clickable app: dist/ocpi-onboard/ (executable dist/ocpi-onboard/ocpi-onboard).
# Sets up what it needs (Debian libraries and .venv through scripts/setup.sh, then the
# `package` extra with PyInstaller), builds packaging/ocpi-onboard.spec (onedir) and prints
# the bundle's size. Idempotent: run it again to rebuild; PyInstaller's cache keeps a
# rebuild short.
#   bash packaging/build.sh              build
#   bash packaging/build.sh --self-test  build, then run the built app's --self-test
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# The `package` extra (PyInstaller); skipped when the declared version is already there.
if ! .venv/bin/python - <<'EOF' 2>/dev/null
import importlib.metadata as md, sys
v = tuple(int(p) for p in md.version("pyinstaller").split(".")[:2])
sys.exit(0 if (6, 10) <= v < (7, 0) else 1)
EOF
then
  echo "build: installing the package extra (PyInstaller)" >&2
  .venv/bin/python -m pip install -q -e '.[package]'
fi

# PyInstaller bundles the shared Python library. Debian's python3 is linked statically and
# ships libpython3.X.so in a separate package, absent on a fresh machine.
if ! .venv/bin/python -c 'import sys
from PyInstaller.depend.bindepend import get_python_library_path
sys.exit(0 if get_python_library_path() else 1)' 2>/dev/null; then
  pyver=$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  command -v apt-get >/dev/null || { echo "build: install the shared library of Python $pyver" >&2; exit 1; }
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "build: installing libpython$pyver (PyInstaller needs the shared Python library)" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "libpython$pyver" >/dev/null
fi

start=$(date +%s)
.venv/bin/python -m PyInstaller --noconfirm --log-level "${PYI_LOG_LEVEL:-WARN}" \
  --distpath dist --workpath build/pyinstaller packaging/ocpi-onboard.spec
exe=dist/ocpi-onboard/ocpi-onboard
[ -x "$exe" ] || { echo "build: $exe was not produced" >&2; exit 1; }
echo "build: $exe ($(du -sh dist/ocpi-onboard | cut -f1) in dist/ocpi-onboard, $(( $(date +%s) - start )) s)"

if [ "${1:-}" = "--self-test" ]; then
  env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=offscreen "$exe" --version
  env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=offscreen "$exe" --self-test
fi
