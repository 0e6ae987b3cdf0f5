"""The real app on a real 1024x700 X11 desktop: its windows, frames included, fit the screen.

Since the first GUI commit a first start (no saved geometry) opened the main window at
1200x780 whatever the screen: on a 1024x700 desktop the partner's detail and the toolbar's
right end lay past the screen's edge until the person resized it. Here the real process
(`main.py --gui --sandbox`, a fresh config directory, the passphrase typed into the dialog)
runs under Xvfb at 1024x700 with openbox drawing the frames; each window's frame, read
from the window manager (_NET_FRAME_EXTENTS), must lie on the screen. A later start comes
back at the size the person left it, even when that is not the default.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.desktop.test_real_start import PASSPHRASE, WIZARD, App
from tests.desktop.xsession import XSession, missing_tools, wait_for, x_session

SCREEN = (1024, 700)
MISSING = missing_tools() + [tool for tool in ("xwininfo",) if shutil.which(tool) is None]

pytestmark = [
    pytest.mark.gui,
    pytest.mark.timeout(1200),  # two real app starts; bounded waits inside
    pytest.mark.skipif(
        bool(MISSING), reason=f"needs {', '.join(MISSING)} (scripts/setup.sh installs them)"
    ),
]


def client(session: XSession, window: str) -> tuple[int, int, int, int]:
    """x, y (on the root window), width, height of the window's own area (xwininfo: xdotool's
    getwindowgeometry counts a reparented window's offset in its frame twice)."""
    text = session.run("xwininfo", "-id", window)
    found = [
        re.search(rf"{label}:\s+(-?\d+)", text)
        for label in ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height")
    ]
    assert all(found), text
    x, y, width, height = (int(match[1]) for match in found if match)
    return (x, y, width, height)


def frame(session: XSession, window: str) -> tuple[int, int, int, int]:
    """left, top, right, bottom of the window with the window manager's frame around it."""
    extents = wait_for(
        lambda: re.findall(r"\d+", session.run("xprop", "-id", window, "_NET_FRAME_EXTENTS")),
        120,
        "the window manager's frame",
    )
    assert isinstance(extents, list) and len(extents) == 4, extents
    left, right, top, bottom = (int(n) for n in extents)
    x, y, width, height = client(session, window)
    return (x - left, y - top, x + width + right, y + height + bottom)


def assert_on_screen(session: XSession, window: str, what: str) -> None:
    box = frame(session, window)
    shot = session.screenshot(what)
    on_screen = box[0] >= 0 and box[1] >= 0 and box[2] <= SCREEN[0] and box[3] <= SCREEN[1]
    assert on_screen, f"{what}: frame {box} is not within {SCREEN}; screen: {shot}"


@pytest.fixture
def small_desktop(tmp_path: Path) -> Iterator[XSession]:
    with x_session(tmp_path / "screens", size="x".join(map(str, SCREEN))) as session:
        yield session


def test_a_first_start_fits_a_1024x700_screen_and_a_later_one_keeps_its_size(
    small_desktop: XSession, tmp_path: Path
) -> None:
    app = App(small_desktop, tmp_path, "first")
    app.answer(app.dialog("Create the vault"), PASSPHRASE, repeat=True)
    main = app.main_window()
    wizard = small_desktop.wait_window(WIZARD)
    assert_on_screen(small_desktop, main, "first-start-main-window")
    assert_on_screen(small_desktop, wizard, "first-start-sandbox-wizard")
    # the person makes it smaller than the default; that is what the next start shows
    small_desktop.run("xdotool", "windowsize", main, "900", "560")
    wait_for(lambda: client(small_desktop, main)[2:] == (900, 560), 120, "the resize")
    app.quit(main)

    again = App(small_desktop, tmp_path, "later")
    again.answer(again.dialog("Unlock the vault"), PASSPHRASE, repeat=False)
    main = again.main_window()
    assert client(small_desktop, main)[2:] == (900, 560)
    assert_on_screen(small_desktop, main, "later-start-main-window")
    again.quit(main)
