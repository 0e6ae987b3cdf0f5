#!/usr/bin/env bash
# Adds OCPI Onboard to the desktop's application menu for the current user (no root):
# ~/.local/share/applications/ocpi-onboard.desktop pointing at this folder's executable,
# and the icon in ~/.local/share/icons/hicolor. Run it from the unpacked app folder:
#   ./install-desktop-entry.sh            install (again, after moving the folder)
#   ./install-desktop-entry.sh --remove   remove the menu entry and icons
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
apps=$data/applications
icons=$data/icons/hicolor
sizes=(32 48 64 128 256)

if [ "${1:-}" = "--remove" ]; then
  rm -f "$apps/ocpi-onboard.desktop" "$icons/scalable/apps/ocpi-onboard.svg"
  for s in "${sizes[@]}"; do rm -f "$icons/${s}x${s}/apps/ocpi-onboard.png"; done
  echo "removed the OCPI Onboard menu entry"
  exit 0
fi

exe=$here/ocpi-onboard
res=$here/_internal/resources
[ -x "$exe" ] || { echo "no executable at $exe: run this script from the app folder" >&2; exit 1; }
mkdir -p "$apps" "$icons/scalable/apps"
install -m 0644 "$res/icon.svg" "$icons/scalable/apps/ocpi-onboard.svg"
for s in "${sizes[@]}"; do
  mkdir -p "$icons/${s}x${s}/apps"
  install -m 0644 "$res/icons/hicolor/${s}x${s}/apps/ocpi-onboard.png" "$icons/${s}x${s}/apps/ocpi-onboard.png"
done
# Exec gets the absolute path, quoted and escaped as the Desktop Entry spec asks
# (\ " ` $ escaped inside the quotes, % doubled); TryExec takes the plain path.
quoted=$(printf '%s' "$exe" | sed -e 's/[\\"`$]/\\&/g' -e 's/%/%%/g')
EXEC_LINE="Exec=\"$quoted\"" TRY_LINE="TryExec=$exe" awk '
  /^Exec=/ { print ENVIRON["EXEC_LINE"]; next }
  /^TryExec=/ { print ENVIRON["TRY_LINE"]; next }
  { print }' "$here/ocpi-onboard.desktop" > "$apps/ocpi-onboard.desktop"
chmod 0644 "$apps/ocpi-onboard.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$apps" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$icons" || true
echo "installed: $apps/ocpi-onboard.desktop -> $exe"
