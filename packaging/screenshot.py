"""Screenshot of the packaged app's first window under X (Xvfb :97 when DISPLAY is unset).

    .venv/bin/python packaging/screenshot.py [--output docs/screenshots/packaged-main-window.png]
                                             [--exe dist/ocpi-onboard/ocpi-onboard] [--empty]

In a throw-away home it first registers with a sandbox partner through the packaged CLI
(`sandbox` + `register`), so the window shows a partner onboarded by the packaged engine
and vault (--empty skips that), then starts the packaged app with no arguments (what a
double-click does), waits for its first window to be painted plus a moment to settle,
and saves that window, grabbed through Qt.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from xwindow import Watcher  # noqa: E402

PASSPHRASE = "screenshot-passphrase"


def start_xvfb() -> subprocess.Popen[bytes] | None:
    if os.environ.get("DISPLAY"):
        return None
    os.environ["DISPLAY"] = ":97"
    if Path("/tmp/.X11-unix/X97").exists():
        return None
    proc = subprocess.Popen(
        ["Xvfb", ":97", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        if Path("/tmp/.X11-unix/X97").exists():
            break
        time.sleep(0.05)
    return proc


def onboard_sandbox(exe: Path, home: Path, env: dict[str, str]) -> None:
    """Register with a sandbox partner through the packaged CLI, into the default vault."""
    token = home / "token_a"
    token.write_text(secrets.token_urlsafe(32))
    token.chmod(0o600)
    sandbox = subprocess.Popen(
        [str(exe), "sandbox", "--port", "0", "--token-a-file", str(token)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert sandbox.stdout is not None
        url = sandbox.stdout.readline().strip()
        done = subprocess.run(
            [
                str(exe),
                "register",
                "--versions-url",
                url,
                "--token-a-file",
                str(token),
                "--country-code",
                "DE",
                "--party-id",
                "ONB",
                "--role",
                "EMSP",
                "--business-name",
                "Demo eMSP",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise SystemExit(f"packaged register failed ({done.returncode}):\n{done.stderr}")
    finally:
        sandbox.terminate()
        sandbox.wait(10)


def grab(window: int, output: Path) -> None:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0], "-platform", "xcb"])
    screen = app.primaryScreen()
    pixmap = screen.grabWindow(window)
    output.parent.mkdir(parents=True, exist_ok=True)
    if pixmap.isNull() or not pixmap.save(str(output), "PNG"):
        raise SystemExit(f"could not grab window {window:#x} into {output}")
    print(f"wrote {output} ({pixmap.width()}x{pixmap.height()})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exe", type=Path, default=ROOT / "dist" / "ocpi-onboard" / "ocpi-onboard")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "docs" / "screenshots" / "packaged-main-window.png"
    )
    parser.add_argument("--empty", action="store_true", help="no sandbox partner in the vault")
    parser.add_argument(
        "--settle", type=float, default=1.5, help="seconds to wait after the first frame"
    )
    args = parser.parse_args()
    if not args.exe.exists():
        sys.exit(f"{args.exe} not found: run `bash packaging/build.sh` first")
    xvfb = start_xvfb()
    home = Path(tempfile.mkdtemp(prefix="ocpi-screenshot-"))
    env = dict(
        os.environ,
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        OCPI_ONBOARD_PASSPHRASE=PASSPHRASE,
        QT_QPA_PLATFORM="xcb",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    app = None
    try:
        if not args.empty:
            onboard_sandbox(args.exe, home, env)
        with Watcher(os.environ["DISPLAY"]) as watch:
            watch.arm()
            app = subprocess.Popen([str(args.exe)], env=env)  # no arguments: a double-click
            shown = watch.wait_first_window(timeout=60)
            if shown is None or shown.painted is None:
                raise SystemExit("the packaged app showed no window within 60 s")
            print(f"first window {shown.title!r} {shown.width}x{shown.height}")
            time.sleep(args.settle)
            grab(shown.window, args.output)
    finally:
        if app is not None:
            app.terminate()
            app.wait(10)
        shutil.rmtree(home, ignore_errors=True)
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
