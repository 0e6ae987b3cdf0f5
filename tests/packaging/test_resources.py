"""The icon set and the Linux desktop entry the packages carry (no build needed)."""

from __future__ import annotations

import configparser
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RESOURCES = REPO / "resources"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_svg_is_square_and_well_formed() -> None:
    root = ET.parse(RESOURCES / "icon.svg").getroot()
    assert root.tag.endswith("svg")
    assert root.get("viewBox") == "0 0 256 256"


def test_icon_png_is_256_px() -> None:
    assert png_size((RESOURCES / "icon.png").read_bytes()) == (256, 256)


@pytest.mark.parametrize("size", [32, 48, 64, 128, 256])
def test_hicolor_pngs_have_their_size(size: int) -> None:
    path = RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "ocpi-onboard.png"
    assert png_size(path.read_bytes()) == (size, size)


def test_windows_ico_holds_png_entries_up_to_256() -> None:
    data = (RESOURCES / "icon.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = set()
    for i in range(count):
        w, h, _colours, _res, _planes, _bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i : 22 + 16 * i]
        )
        assert png_size(data[offset : offset + length]) == (w or 256, h or 256)
        sizes.add(w or 256)
    assert {16, 32, 48, 256} <= sizes


def test_macos_icns_holds_png_entries_up_to_1024() -> None:
    data = (RESOURCES / "icon.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    pos, sizes = 8, set()
    while pos < len(data):
        kind, length = data[pos : pos + 4], struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        sizes.add((kind, png_size(data[pos + 8 : pos + length])[0]))
        pos += length
    assert (b"ic10", 1024) in sizes and (b"ic07", 128) in sizes and (b"icp4", 16) in sizes


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(REPO / "packaging" / "ocpi-onboard.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_launches_the_app_with_its_icon() -> None:
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "OCPI Onboard"
    assert entry["Exec"].split()[0] == "ocpi-onboard"
    assert entry["Terminal"] == "false"
    # Icon and StartupWMClass match what the app sets (desktop file name, WM_CLASS) and
    # what install-desktop-entry.sh installs into the hicolor theme.
    assert entry["Icon"] == "ocpi-onboard"
    assert entry["StartupWMClass"] == "ocpi-onboard"
    assert entry["Categories"].endswith(";")


def test_desktop_entry_validates() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate not installed (Debian package desktop-file-utils)")
    done = subprocess.run(
        [validator, str(REPO / "packaging" / "ocpi-onboard.desktop")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_install_script_quotes_an_awkward_folder_name(tmp_path: Path) -> None:
    """The .desktop Exec line survives spaces, quotes, $ and % in the app's folder."""
    folder = tmp_path / 'My Apps "new" $HOME 100%' / "ocpi-onboard"
    (folder / "_internal").mkdir(parents=True)
    shutil.copytree(RESOURCES, folder / "_internal" / "resources")
    shutil.copy2(REPO / "packaging" / "ocpi-onboard.desktop", folder)
    shutil.copy2(REPO / "packaging" / "install-desktop-entry.sh", folder)
    exe = folder / "ocpi-onboard"
    exe.write_text("#!/bin/sh\n", "utf-8")
    exe.chmod(0o755)
    share = tmp_path / "share"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(share)}
    done = subprocess.run(
        ["bash", str(folder / "install-desktop-entry.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    installed = share / "applications" / "ocpi-onboard.desktop"
    exec_line = next(
        line for line in installed.read_text("utf-8").splitlines() if line.startswith("Exec=")
    )
    escaped = str(exe).replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    assert exec_line == 'Exec="' + escaped.replace("%", "%%") + '"'
    validator = shutil.which("desktop-file-validate")
    if validator:
        check = subprocess.run(
            [validator, str(installed)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr
