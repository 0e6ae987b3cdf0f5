"""Screenshots of the app in a real window (X11, Xvfb if no display): docs/screenshots/*.png.

Starts the GUI with a throwaway vault and settings in a temporary directory, walks the
Sender wizard against the sandbox partner and the invite wizard against the demo partner,
registers a few more sandbox partners (with other identities) so the list has content,
rehearses a token mix-up for the log pane, and grabs each wizard page and the main window.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--dark]

Needs Xvfb (apt-get install xvfb) when no DISPLAY is set.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARTNERS = (
    ("BE", "VLT", "CPO", "Volta Charging Network"),
    ("AT", "ALP", "CPO", "Alpine Energy Points"),
    ("FR", "ELM", "EMSP", "Électro Mobilité"),
    ("IT", "VIA", "CPO", "Via Ricarica"),
    ("ES", "SOL", "EMSP", "Sol Recarga"),
)


@contextlib.contextmanager
def display() -> Iterator[None]:
    """A display to draw on: the current one, else a fresh Xvfb."""
    if os.environ.get("DISPLAY"):
        yield
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise SystemExit("no DISPLAY and no Xvfb: apt-get install -y xvfb")
    number = 99
    while Path(f"/tmp/.X11-unix/X{number}").exists():
        number += 1
    proc = subprocess.Popen(
        [xvfb, f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("Xvfb did not start")
            time.sleep(0.05)
        os.environ["DISPLAY"] = f":{number}"
        yield
    finally:
        proc.terminate()
        proc.wait(5)


async def until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.02)


async def settle(seconds: float = 0.25) -> None:
    """Let layouts, spinners and paints finish before a grab."""
    await asyncio.sleep(seconds)


class Shooter:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.saved: list[Path] = []

    async def shoot(self, widget: object, name: str) -> None:
        await settle()
        path = self.out / f"{name}.png"
        pixmap = widget.grab()  # type: ignore[attr-defined]
        if not pixmap.save(str(path)):
            raise RuntimeError(f"could not write {path}")
        self.saved.append(path)
        print(
            f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
            f"  {pixmap.width()}x{pixmap.height()}"
        )


async def register_more(controller: object, sandboxes: list[object]) -> None:
    """More partners for the list: sandbox partners with other identities."""
    from app.core.tokens import Secret, TokenRole, generate_token
    from app.sandbox import SandboxPartner

    engine = await controller.engine()  # type: ignore[attr-defined]
    for cc, pid, role, name in PARTNERS:
        identity = {
            "role": role,
            "country_code": cc,
            "party_id": pid,
            "business_details": {"name": name},
        }
        token = Secret(generate_token(), TokenRole.A)
        sandbox = SandboxPartner(token, identity=identity, http_settings=engine.http_settings)
        await sandbox.start()
        sandboxes.append(sandbox)
        result = await engine.register(sandbox.versions_url, token)
        if result.status != "registered":
            raise RuntimeError(f"{cc}-{pid}: {result.diagnosis}")


async def main(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QWizard

    from app.gui.controller import Controller
    from app.gui.flows import Phase
    from app.gui.main_window import MainWindow, window_state
    from app.gui.unlock import open_with_passphrase
    from app.settings import Settings

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    shooter = Shooter(out)
    suffix = "-dark" if args.dark else ""
    with tempfile.TemporaryDirectory(prefix="ocpi-onboard-shots-") as tmp:
        vault = await open_with_passphrase(Path(tmp) / "vault.db", "screenshots passphrase")
        settings = Settings(
            country_code="DE", party_id="ACM", roles=["CPO"], business_name="Acme Charging GmbH"
        )
        controller = Controller(vault, settings, settings_path=Path(tmp) / "settings.json")
        window = MainWindow(controller, state=window_state(Path(tmp) / "window.ini"))
        window.resize(1240, 780)
        window.show()
        await controller.engine()
        await shooter.shoot(window, f"main-first-run{suffix}")

        # the Sender wizard against the sandbox partner, page by page
        wizard = window.open_sender_wizard(sandbox_fault="none")
        page = wizard.receive_page
        await until(lambda: bool(page.url_edit.text()) and page.isComplete())
        await shooter.shoot(wizard, f"sender-1-receive{suffix}")
        wizard.next()
        await until(lambda: wizard.sender_flow.phase == Phase.READY)
        await shooter.shoot(wizard, f"sender-2-discover{suffix}")
        wizard.next()
        await until(lambda: wizard.sender_flow.phase == Phase.DONE)
        await shooter.shoot(wizard, f"sender-3-register{suffix}")
        wizard.next()
        await shooter.shoot(wizard, f"sender-4-confirm{suffix}")
        wizard.button(QWizard.WizardButton.FinishButton).click()
        await until(lambda: window.sender_wizard is None)

        # the invite wizard with the demo partner
        invite = window.open_invite_wizard()
        await until(invite.issue_page.isComplete)
        await shooter.shoot(invite, f"invite-1-issue{suffix}")
        invite.next()
        await settle(0.6)
        await shooter.shoot(invite, f"invite-2-wait{suffix}")
        invite.wait_page.demo_button.click()
        await until(invite.wait_page.isComplete)
        await shooter.shoot(invite, f"invite-2-wait-done{suffix}")
        invite.next()
        await shooter.shoot(invite, f"invite-3-confirm{suffix}")
        invite.button(QWizard.WizardButton.FinishButton).click()
        await until(lambda: window.invite_wizard is None)

        # a token mix-up rehearsed with a sandbox fault, for the log pane
        faulty = window.open_sender_wizard(sandbox_fault="callback-with-token-a")
        await until(
            lambda: bool(faulty.receive_page.url_edit.text()) and faulty.receive_page.isComplete()
        )
        faulty.next()
        await until(lambda: faulty.sender_flow.phase == Phase.READY)
        faulty.next()
        await until(lambda: faulty.sender_flow.phase == Phase.FAILED)
        await shooter.shoot(faulty, f"sender-3-register-token-mixup{suffix}")
        failed_run = faulty.sender_flow.run_id
        faulty.reject()
        await until(lambda: window.sender_wizard is None)

        sandboxes: list[object] = []
        await register_more(controller, sandboxes)
        await settle(0.3)
        window.reload_partners()
        sandbox = vault.partner("NL-SBX")
        window.select_partner(sandbox.id)
        await shooter.shoot(window, f"main-partners{suffix}")

        if failed_run:
            window.log_pane.show_run(failed_run)
            rows = window.log_pane.confusion_rows()
            if rows:
                window.log_pane.select_row(rows[0])
            await shooter.shoot(window, f"main-log-token-mixup{suffix}")

        window.close()
        await controller.aclose()
        for running in sandboxes:
            await running.stop()  # type: ignore[attr-defined]
        vault.close()
    print(f"{len(shooter.saved)} screenshots in {out}")
    return 0


def dark_palette() -> object:
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, "#1e2127"),
        (roles.WindowText, "#e6e8eb"),
        (roles.Base, "#16181d"),
        (roles.AlternateBase, "#1c1f25"),
        (roles.Text, "#e6e8eb"),
        (roles.Button, "#2a2e36"),
        (roles.ButtonText, "#e6e8eb"),
        (roles.Highlight, "#3b74d8"),
        (roles.HighlightedText, "#ffffff"),
        (roles.ToolTipBase, "#2a2e36"),
        (roles.ToolTipText, "#e6e8eb"),
        (roles.PlaceholderText, "#8a93a3"),
        (roles.Link, "#7fb0ff"),
    ):
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, roles.Text, QColor("#6b7280"))
    palette.setColor(QPalette.ColorGroup.Disabled, roles.ButtonText, QColor("#6b7280"))
    palette.setColor(QPalette.ColorGroup.Disabled, roles.WindowText, QColor("#6b7280"))
    return palette


def run() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument(
        "--dark", action="store_true", help="force a dark palette (names end in -dark)"
    )
    args = parser.parse_args()
    with display():
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        os.environ.setdefault("QT_API", "pyside6")
        os.environ.pop("OCPI_ONBOARD_PASSPHRASE", None)
        import qasync
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QGuiApplication
        from PySide6.QtWidgets import QApplication

        app = QApplication(sys.argv[:1])
        app.setApplicationName("OCPI Onboard")
        app.setQuitOnLastWindowClosed(False)
        if args.dark:
            QGuiApplication.styleHints().setColorScheme(Qt.ColorScheme.Dark)
            app.setStyle("Fusion")
            if QGuiApplication.styleHints().colorScheme() != Qt.ColorScheme.Dark:
                app.setPalette(
                    dark_palette()
                )  # no platform theme under Xvfb: what a dark desktop gives
        from app.gui.theme import apply_theme

        apply_theme(app)
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            return int(loop.run_until_complete(main(args)))


if __name__ == "__main__":
    sys.exit(run())
