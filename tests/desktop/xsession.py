"""A real X11 desktop for tests: Xvfb on a free display, a window manager, xdotool.

Xvfb picks its own display number (`-displayfd`), so parallel runs never clash; openbox
manages the windows (focus, activation, stacking) as a person's desktop does, which the
offscreen Qt platform cannot. xdotool finds windows by title and types as a keyboard.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

TOOLS = ("Xvfb", "openbox", "xdotool", "xprop")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> object:
    """Poll until predicate() is truthy; a bounded wait, not a speed assertion."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.1)


class XSession:
    """DISPLAY, and xdotool on it."""

    def __init__(self, display: str, shots: Path) -> None:
        self.display = display
        self.shots = shots

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
        env["DISPLAY"] = self.display
        env["QT_QPA_PLATFORM"] = "xcb"
        env.update(extra)
        return env

    def run(self, *args: str) -> str:
        done = subprocess.run(
            args, env=self.env(), capture_output=True, text=True, timeout=30, check=False
        )
        return done.stdout

    def windows(self, name: str) -> list[str]:
        """Visible windows whose title matches the regular expression `name`."""
        return self.run("xdotool", "search", "--onlyvisible", "--name", name).split()

    def wait_window(self, name: str, timeout: float = 240.0) -> str:
        found = wait_for(lambda: self.windows(name), timeout, f"a window titled {name!r}")
        assert isinstance(found, list)
        return str(found[0])

    def activate(self, window: str) -> None:
        """Ask the window manager to activate it, again until it is (a loaded machine)."""

        def active() -> bool:
            if self.run("xdotool", "getactivewindow").strip() == window:
                return True
            self.run("xdotool", "windowactivate", window)
            return False

        wait_for(active, 120, f"window {window} to be active")

    def type(self, text: str) -> None:
        self.run("xdotool", "type", "--delay", "15", text)

    def key(self, *keys: str) -> None:
        self.run("xdotool", "key", "--delay", "40", *keys)

    def screenshot(self, name: str) -> Path | None:
        """The whole screen, for a failure message (scrot when installed)."""
        if shutil.which("scrot") is None:
            return None
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        subprocess.run(["scrot", "-o", str(path)], env=self.env(), timeout=30, check=False)
        return path


def _read_display(fd: int, proc: subprocess.Popen[bytes]) -> str:
    data = b""
    deadline = time.monotonic() + 120
    while not data.endswith(b"\n"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("Xvfb did not start")
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:
                break
            data += chunk
    return ":" + data.decode().strip()


@contextmanager
def x_session(shots: Path, size: str = "1280x800") -> Iterator[XSession]:
    """Xvfb + openbox for the duration; both stopped (terminate, then kill) afterwards."""
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    procs: list[subprocess.Popen[bytes]] = [xvfb]
    try:
        display = _read_display(read_fd, xvfb)
        session = XSession(display, shots)
        wm = subprocess.Popen(
            ["openbox", "--sm-disable"],
            env=session.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(wm)
        wait_for(
            lambda: "window id" in session.run("xprop", "-root", "_NET_SUPPORTING_WM_CHECK"),
            120,
            "the window manager",
        )
        yield session
    finally:
        os.close(read_fd)
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
