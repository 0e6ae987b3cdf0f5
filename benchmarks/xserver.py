"""A private Xvfb for one benchmark run: its own display number, stopped when the run ends.

Fixed display numbers (:97, :98) clashed: two benchmarks running at once shared one server
and the first to finish killed it under the other, and a socket left in /tmp/.X11-unix by
a killed run made the next run "reuse" a server that was not there (Qt then aborts). Xvfb's
`-displayfd` lets the server pick a free number and tell us which.
"""

from __future__ import annotations

import atexit
import os
import select
import subprocess
import time


def start_private_xvfb(size: str = "1280x800") -> str:
    """Start Xvfb on a free display, point DISPLAY at it, stop it at exit; returns ':N'."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    atexit.register(_stop, proc)
    data = b""
    deadline = time.monotonic() + 60
    while not data.endswith(b"\n"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("Xvfb did not start (is the xvfb package installed?)")
        ready, _, _ = select.select([read_fd], [], [], 0.2)
        if ready:
            chunk = os.read(read_fd, 64)
            if not chunk:
                break
            data += chunk
    os.close(read_fd)
    display = ":" + data.decode().strip()
    os.environ["DISPLAY"] = display
    return display


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
