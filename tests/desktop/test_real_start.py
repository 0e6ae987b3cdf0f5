"""The real app process on a real X11 desktop, answered as a person answers it.

No OCPI_ONBOARD_PASSPHRASE, no OS keyring: the first start asks to create the vault, every
later start asks to unlock it. xdotool types into the dialog the process opened; the test
then waits for the main window (by its title) and quits with Ctrl+Q. The process must end
with 0 and nothing that looks like a traceback on stderr. Issue 9: both starts used to end
the process right after the dialog; later, a start with the sandbox wizard open never ended
on Ctrl+Q (the wizard was the active window and Quit was the main window's shortcut only).
Each way to quit is tried with the wizard open: Ctrl+Q in it, File ▸ Quit, the window
manager's Close.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings, save_settings
from app.vault import Vault
from tests.desktop.xsession import XSession, missing_tools, x_session

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "typed by a person 42"
MAIN = "^OCPI Onboard$"

pytestmark = [
    pytest.mark.gui,
    pytest.mark.timeout(1200),  # two or three real app starts; bounded waits inside
    pytest.mark.skipif(
        bool(missing_tools()),
        reason=f"needs {', '.join(missing_tools())} (scripts/setup.sh installs them)",
    ),
]


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[XSession]:
    with x_session(tmp_path / "screens") as session:
        yield session


class App:
    """One run of `python main.py --gui --sandbox` with a vault and settings in tmp."""

    def __init__(
        self, session: XSession, tmp: Path, name: str, extra: tuple[str, ...] = ()
    ) -> None:
        self.session = session
        self.stderr_path = tmp / f"{name}.stderr"
        settings = tmp / "settings.json"
        if not settings.exists():
            save_settings(
                Settings(country_code="DE", party_id="ONB", roles=["CPO"], business_name="T"),
                settings,
            )
        env = session.env(
            XDG_DATA_HOME=str(tmp / "data"),
            XDG_CONFIG_HOME=str(tmp / "config"),
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        )
        env.pop("OCPI_ONBOARD_PASSPHRASE", None)
        env.pop("OCPI_ONBOARD_NO_SPLASH", None)
        self.stderr = self.stderr_path.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "main.py"),
                "--gui",
                "--sandbox",
                "--vault",
                str(tmp / "vault.db"),
                "--settings",
                str(settings),
                *extra,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def why(self, what: str) -> str:
        shot = self.session.screenshot(what.replace(" ", "-"))
        self.stderr.flush()
        return (
            f"{what}; process {'running' if self.alive() else f'exited {self.proc.returncode}'}"
            f"; screen: {shot}; stderr:\n{self.stderr_path.read_text()}"
        )

    def dialog(self, title: str) -> str:
        try:
            return self.session.wait_window(f"^{title} — OCPI Onboard$")
        except TimeoutError:
            pytest.fail(self.why(f"no {title!r} dialog"))

    def answer(self, dialog: str, passphrase: str, *, repeat: bool) -> None:
        """Focus the dialog, type into the passphrase field (and Repeat), press Return."""
        self.session.activate(dialog)
        self.session.key("ctrl+a", "BackSpace")
        self.session.type(passphrase)
        if repeat:
            self.session.key("Tab")
            self.session.type(passphrase)
        self.session.key("Return")

    def main_window(self) -> str:
        try:
            return self.session.wait_window(MAIN)
        except TimeoutError:
            pytest.fail(self.why("no main window"))

    def quit(self, window: str, *keys: str) -> None:
        """Activate `window`, press `keys` (Ctrl+Q by default): the process must end with 0
        and nothing that looks like a traceback on stderr."""
        self.session.activate(window)
        self.session.key(*(keys or ("ctrl+q",)))
        self.ends_cleanly(" ".join(keys or ("ctrl+q",)))

    def ends_cleanly(self, what: str) -> None:
        try:
            self.proc.wait(240)  # a bound for a loaded machine, not a speed assertion
        except subprocess.TimeoutExpired:
            message = self.why(f"{what} did not end the app")
            self.proc.kill()
            self.proc.wait(10)
            pytest.fail(message)
        finally:
            self.stderr.close()
        err = self.stderr_path.read_text()
        assert self.proc.returncode == 0, self.why("the app exited with an error")
        for sign in ("Traceback", "unhandled", "RuntimeError", "Fatal Python error"):
            assert sign not in err, err


def test_first_start_creates_the_vault_then_unlock_reaches_the_main_window(
    desktop: XSession, tmp_path: Path
) -> None:
    app = App(desktop, tmp_path, "create")
    dialog = app.dialog("Create the vault")
    app.answer(dialog, PASSPHRASE, repeat=True)
    main = app.main_window()
    desktop.wait_window("^Onboard the sandbox partner")  # --sandbox opened the wizard too
    assert app.alive()
    app.quit(main)
    assert (tmp_path / "vault.db").stat().st_size > 0

    again = App(desktop, tmp_path, "unlock")
    dialog = again.dialog("Unlock the vault")
    again.answer(dialog, PASSPHRASE, repeat=False)
    again.quit(again.main_window())


def test_a_wrong_passphrase_keeps_the_dialog_then_the_right_one_opens(
    desktop: XSession, tmp_path: Path
) -> None:
    first = App(desktop, tmp_path, "create")
    first.answer(first.dialog("Create the vault"), PASSPHRASE, repeat=True)
    first.quit(first.main_window())

    app = App(desktop, tmp_path, "wrong")
    dialog = app.dialog("Unlock the vault")
    app.answer(dialog, "not the passphrase", repeat=False)
    # the key derivation runs, the dialog stays: no main window, the app still running.
    # Keys typed while it derives are lost (the field is disabled), so retype until it opens.
    for _attempt in range(8):
        assert app.alive(), app.why("the app ended after a wrong passphrase")
        assert desktop.windows("^Unlock the vault"), app.why("the dialog went away")
        assert not desktop.windows(MAIN), app.why("a wrong passphrase opened the vault")
        app.answer(dialog, PASSPHRASE, repeat=False)
        try:
            main = desktop.wait_window(MAIN, timeout=15)
            break
        except TimeoutError:
            continue
    else:
        pytest.fail(app.why("the right passphrase never opened the vault"))
    app.quit(main)


WIZARD = "^Onboard the sandbox partner — OCPI Onboard$"


def _file_quit(app: App, main: str, wizard: str) -> None:
    """File ▸ Quit from the keyboard in the main window: Alt+F opens File, Q is &Quit."""
    app.quit(main, "alt+f", "q")


def _ctrl_q_in_the_wizard(app: App, main: str, wizard: str) -> None:
    """The window a person looks at after a --sandbox start is the wizard."""
    app.quit(wizard, "ctrl+q")


def _close_the_window(app: App, main: str, wizard: str) -> None:
    """The window manager's Close (openbox binds it to Alt+F4): WM_DELETE_WINDOW."""
    app.quit(main, "alt+F4")


@pytest.mark.parametrize(
    "quit_app",
    [_ctrl_q_in_the_wizard, _file_quit, _close_the_window],
    ids=["ctrl-q-in-startup-wizard", "file-quit", "close-window"],
)
def test_a_later_start_quits_with_the_startup_wizard_open(
    desktop: XSession, tmp_path: Path, quit_app: Any
) -> None:
    """Issue 9: after an Unlock start with --sandbox the wizard is the active window and
    Ctrl+Q there did nothing; the process stayed (the desktop test was an xfail)."""
    Vault.open(tmp_path / "vault.db", passphrase=PASSPHRASE, use_keyring=False).close()
    app = App(desktop, tmp_path, "later")
    app.answer(app.dialog("Unlock the vault"), PASSPHRASE, repeat=False)
    main = app.main_window()
    try:
        wizard = desktop.wait_window(WIZARD)
    except TimeoutError:
        pytest.fail(app.why("no sandbox wizard"))
    quit_app(app, main, wizard)
