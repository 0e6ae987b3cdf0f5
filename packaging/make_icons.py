"""Render resources/icon.svg into every icon file the packages need; commit the results.

    .venv/bin/python packaging/make_icons.py

Writes, from the one SVG (rendered by Qt's own SVG renderer, QtSvg, which ships in
pyside6-essentials):
- resources/icon.png                                   256 px, the window icon fallback
- resources/icons/hicolor/NxN/apps/ocpi-onboard.png    32..256, for the Linux .desktop entry
- resources/icon.ico                                   16..256, Windows (PNG-compressed entries)
- resources/icon.icns                                  16..1024, macOS (PNG entries)
and the style sheet's indicator images (resources/check.svg, chevron-down.svg, chevron-up.svg) as PNGs at
their 12 px size and @2x: the sheet names the PNGs, so drawing a combo box's arrow or a
checked box loads no SVG engine (Qt's SVG library and its two plugins are ~1 MiB resident;
issue 13, target 1); Qt picks the @2x file on a 2x screen.
Runs headless (QT_QPA_PLATFORM=offscreen is set when unset).
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
SVG = RESOURCES / "icon.svg"
HICOLOR_SIZES = (32, 48, 64, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
INDICATORS = ("check", "chevron-down", "chevron-up")  # the style sheet's images: 12 px, drawn at 1x and 2x
INDICATOR_PX = 12
# ICNS element types that hold PNG data, by pixel size.
ICNS_TYPES = {
    16: b"icp4",
    32: b"icp5",
    64: b"icp6",
    128: b"ic07",
    256: b"ic08",
    512: b"ic09",
    1024: b"ic10",
}


def render_png(renderer: QSvgRenderer, size: int, scale: int = 1) -> bytes:
    image = QImage(size * scale, size * scale, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError(f"could not encode the {size} px PNG")
    buffer.close()
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An .ico whose entries are PNG images (valid since Windows Vista)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = [], []
    for size in sizes:
        blob = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset))
        blobs.append(blob)
        offset += len(blob)
    return header + b"".join(entries) + b"".join(blobs)


def icns(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(
        ICNS_TYPES[size] + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
        for size in sorted(pngs)
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"wrote {path.relative_to(ROOT)} ({len(data)} bytes)")


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"{SVG} is not a valid SVG for QtSvg", file=sys.stderr)
        return 1
    sizes = sorted(set(HICOLOR_SIZES) | set(ICO_SIZES) | set(ICNS_TYPES))
    pngs = {size: render_png(renderer, size) for size in sizes}
    write(RESOURCES / "icon.png", pngs[256])
    for size in HICOLOR_SIZES:
        write(
            RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "ocpi-onboard.png",
            pngs[size],
        )
    write(RESOURCES / "icon.ico", ico({s: pngs[s] for s in ICO_SIZES}))
    write(RESOURCES / "icon.icns", icns({s: pngs[s] for s in ICNS_TYPES}))
    for name in INDICATORS:
        indicator = QSvgRenderer(str(RESOURCES / f"{name}.svg"))
        for scale, suffix in ((1, ""), (2, "@2x")):
            write(RESOURCES / f"{name}{suffix}.png", render_png(indicator, INDICATOR_PX, scale))
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
