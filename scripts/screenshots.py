"""README screenshots from a user-driven run of the app: docs/screenshots/*.png.

Each variant (light/dark, 1024×700/1600×1000) is one run of the app's own entry point
(`run_gui`, as `python main.py --gui` runs it) in a real X11 window: Xvfb with the openbox
window manager, no OCPI_ONBOARD_PASSPHRASE and no OS keyring. It is driven as a person
drives it, as tests/gui and tests/desktop do: the Create-the-vault dialog answered by
typing, the toolbar's shortcuts (Ctrl+N, Ctrl+Shift+N, Ctrl+I, Ctrl+,), Return through the
wizards, clicks on list rows and tabs, Ctrl+Q at the end; the connection-health steps
(Ctrl+Shift+V, F5, the Health tab: scripts/screenshots_health.py) the same way. No window
method is called to open, fill or advance anything. The partners on the other end are sandbox partners this
script serves on loopback under invented names; their versions URL and TOKEN_A are typed
into the Onboard wizard as a person pastes what a partner sent.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--variant NAME ...]

Needs Xvfb, openbox and xdotool (`bash scripts/setup.sh` installs them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# name -> (dark, width, height, dialogs too). Dialogs and wizards have their own size: they
# are shot in the 1024×700 runs only; the main window in every run.
VARIANTS: dict[str, tuple[bool, int, int, bool]] = {
    "light": (False, 1024, 700, True),
    "dark": (True, 1024, 700, True),
    "light-large": (False, 1600, 1000, False),
    "dark-large": (True, 1600, 1000, False),
}
PASSPHRASE = "screenshots passphrase 42"
# (country, party, role, business name, sandbox fault): onboarded through Ctrl+N
PARTNERS = (
    ("BE", "VLT", "CPO", "Volta Charging Network", "drift-module"),  # tariffs go, later
    ("AT", "ALP", "CPO", "Alpine Energy Points", "lying-pagination"),  # found by Verify
    ("IT", "VIA", "CPO", "Via Ricarica", "401-after-registration"),
    ("ES", "SOL", "EMSP", "Sol Recarga", "no-callback"),
)
MIXUP = ("PT", "LUZ", "CPO", "Luz Carregamento", "callback-with-token-a")
PROFILED = ("FR", "ELM", "EMSP", "Électro Mobilité", "plain-token")


# ---- the driver: runs inside the app's event loop --------------------------------------------
class Driver:
    """Keys and clicks on whatever a person would press, and a grab of what they see."""

    def __init__(self, out: Path, suffix: str, size: tuple[int, int], dialogs: bool) -> None:
        self.out, self.suffix, self.size, self.dialogs = out, suffix, size, dialogs
        self.saved: list[str] = []
        self.sandboxes: list[Any] = []

    async def until(self, predicate: Callable[[], object], what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                from PySide6.QtWidgets import QApplication

                active = QApplication.activeWindow()
                if active is not None:
                    active.grab().save(str(self.out / ".failures" / "timeout.png"))
                raise TimeoutError(f"gave up waiting for {what}")
            await asyncio.sleep(0.03)

    async def activate(self, widget: Any) -> None:
        from PySide6.QtWidgets import QApplication

        await self.until(widget.isVisible, f"{widget.windowTitle()} shown")
        deadline = time.monotonic() + 30
        while QApplication.activeWindow() is not widget and time.monotonic() < deadline:
            widget.activateWindow()
            widget.raise_()
            await asyncio.sleep(0.1)

    def key(self, key: Any, modifiers: Any = None) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication

        target = QApplication.focusWidget() or QApplication.activeWindow()
        assert target is not None, "nothing has the keyboard focus"
        QTest.keyClick(target, key, modifiers or Qt.KeyboardModifier.NoModifier)

    def click(self, widget: Any, pos: Any = None) -> None:
        from PySide6.QtCore import QPoint, Qt
        from PySide6.QtTest import QTest

        where = pos if pos is not None else QPoint()  # QPoint(): the widget's centre
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)

    def type_into(self, widget: Any, text: str) -> None:
        from PySide6.QtTest import QTest

        self.click(widget)
        QTest.keyClicks(widget, text)

    async def shoot(self, widget: Any, name: str, *, dialog: bool = False) -> None:
        """Grab the window as drawn (no decorations) once paints and animations settle."""
        from PySide6.QtWidgets import QApplication

        if dialog and not self.dialogs:
            return
        await asyncio.sleep(0.6)
        QApplication.processEvents()
        pixmap = widget.grab()
        path = self.out / f"{name}{self.suffix}.png"
        if not pixmap.save(str(path), "PNG", 0):  # 0: the smallest file, still lossless
            raise RuntimeError(f"could not write {path}")
        self.saved.append(path.name)
        print(f"  {path.name}  {pixmap.width()}x{pixmap.height()}", flush=True)

    # ---- what a person does ----------------------------------------------------------------
    async def sandbox_partner(self, spec: tuple[str, str, str, str, str]) -> Any:
        """A partner on loopback that sent us its versions URL and a TOKEN_A."""
        from app.core.tokens import Secret, TokenRole, generate_token
        from app.sandbox import SandboxPartner

        cc, pid, role, name, fault = spec
        identity = {
            "role": role,
            "country_code": cc,
            "party_id": pid,
            "business_details": {"name": name},
        }
        sandbox = SandboxPartner(
            Secret(generate_token(), TokenRole.A), identity=identity, fault=fault
        )
        await sandbox.start()
        self.sandboxes.append(sandbox)
        return sandbox

    async def wizard_opened(self, window: Any, attr: str) -> Any:
        await self.until(lambda: getattr(window, attr) is not None, attr)
        wizard = getattr(window, attr)
        await self.activate(wizard)
        return wizard

    async def onboard(self, window: Any, sandbox: Any) -> Any:
        """Ctrl+N, then paste the partner's versions URL and TOKEN_A."""
        from PySide6.QtCore import Qt

        await self.activate(window)
        self.key(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        wizard = await self.wizard_opened(window, "sender_wizard")
        page = wizard.receive_page
        self.type_into(page.url_edit, sandbox.versions_url)
        self.type_into(page.token.edit, sandbox.token_a.reveal())
        await self.until(page.isComplete, "the Receive page complete")
        return wizard

    async def choose(self, combo: Any, data: str) -> None:
        """Arrow keys in a combo box until the wanted entry is current."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        combo.setFocus(Qt.FocusReason.TabFocusReason)
        QTest.keyClick(combo, Qt.Key.Key_Home)
        for _ in range(combo.count()):
            if combo.currentData() == data:
                return
            QTest.keyClick(combo, Qt.Key.Key_Down)
        raise RuntimeError(f"no {data!r} in the combo box")

    async def to_register(self, wizard: Any) -> None:
        from PySide6.QtCore import Qt

        from app.gui.wizard_sender import PAGE_DISCOVER, PAGE_REGISTER

        self.key(Qt.Key.Key_Return)
        await self.until(lambda: wizard.currentId() == PAGE_DISCOVER, "Discover")
        await self.until(wizard.discover_page.isComplete, "discovery")
        self.key(Qt.Key.Key_Return)
        await self.until(lambda: wizard.currentId() == PAGE_REGISTER, "Register")

    async def finish(self, window: Any, wizard: Any, confirm_shot: str | None = None) -> None:
        from PySide6.QtCore import Qt

        from app.gui.wizard_sender import PAGE_CONFIRM

        await self.until(wizard.register_page.isComplete, "the registration")
        self.key(Qt.Key.Key_Return)
        await self.until(lambda: wizard.currentId() == PAGE_CONFIRM, "Confirm")
        if confirm_shot:
            await self.shoot(wizard, confirm_shot, dialog=True)
        self.key(Qt.Key.Key_Return)  # Finish
        await self.until(lambda: window.sender_wizard is None, "the wizard closed")

    async def select_partner(self, window: Any, ref: str) -> None:
        """Click the partner's row in the list ("—": the row of a registration that failed
        before the partner said who it is)."""
        proxy = window.table.model()
        wanted = set(ref.split("-")) if ref != "—" else {"—"}

        def row() -> int | None:
            for r in range(proxy.rowCount()):
                cells = {str(proxy.index(r, c).data() or "") for c in range(proxy.columnCount())}
                if wanted <= cells:
                    return r
            return None

        await self.until(lambda: row() is not None, f"{ref} in the list")
        index = proxy.index(row(), 0)
        window.table.scrollTo(index)
        self.click(window.table.viewport(), window.table.visualRect(index).center())
        await self.until(lambda: window.selected_partner() is not None, f"{ref} selected")

    async def tab(self, window: Any, mnemonic: Any) -> None:
        from PySide6.QtCore import Qt

        await self.activate(window)
        self.key(mnemonic, Qt.KeyboardModifier.AltModifier)

    # ---- the session -----------------------------------------------------------------------
    async def run(self, window: Any) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
        window.resize(*self.size)  # what a person dragging the window edge does
        await self.activate(window)
        await self.until(lambda: window.controller.engine_or_none is not None, "our endpoint")
        await self.shoot(window, "main-first-run")

        # the Sender wizard against the built-in sandbox partner, by Return only
        self.key(Qt.Key.Key_N, ctrl | shift)
        wizard = await self.wizard_opened(window, "sender_wizard")
        page = wizard.receive_page
        await self.until(lambda: bool(page.url_edit.text()) and page.isComplete(), "the sandbox")
        await self.shoot(wizard, "sender-1-receive", dialog=True)
        self.key(Qt.Key.Key_Return)
        await self.until(wizard.discover_page.isComplete, "discovery")
        await self.shoot(wizard, "sender-2-discover", dialog=True)
        self.key(Qt.Key.Key_Return)
        await self.until(wizard.register_page.isComplete, "the registration")
        await self.shoot(wizard, "sender-3-register", dialog=True)
        await self.finish(window, wizard, "sender-4-confirm")

        # the Receiver side: invite, the demo partner registers (Alt+S), Finish
        await self.activate(window)
        self.key(Qt.Key.Key_I, ctrl)
        invite = await self.wizard_opened(window, "invite_wizard")
        await self.until(invite.issue_page.isComplete, "a TOKEN_A issued")
        await self.shoot(invite, "invite-1-issue", dialog=True)
        self.key(Qt.Key.Key_Return)
        await self.until(lambda: invite.currentId() == 1, "the Wait page")
        await self.shoot(invite, "invite-2-wait", dialog=True)
        self.key(Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
        await self.until(invite.wait_page.isComplete, "the demo partner registered")
        await self.shoot(invite, "invite-2-wait-done", dialog=True)
        self.key(Qt.Key.Key_Return)
        await self.until(lambda: invite.currentId() == 2, "Confirm")
        await self.shoot(invite, "invite-3-confirm", dialog=True)
        self.key(Qt.Key.Key_Return)
        await self.until(lambda: window.invite_wizard is None, "the invite wizard closed")

        # partners that sent us an invitation, two of them with a production trap
        for spec in PARTNERS:
            sandbox = await self.sandbox_partner(spec)
            wizard = await self.onboard(window, sandbox)
            await self.to_register(wizard)
            shots = {"401-after-registration": "sender-4-confirm-token-c-refused",
                     "no-callback": "sender-4-confirm-discovery-incomplete"}  # fmt: skip
            await self.finish(window, wizard, shots.get(spec[4]))

        # a partner type (hub preset) chosen in the wizard; its profile after registration
        sandbox = await self.sandbox_partner(PROFILED)
        wizard = await self.onboard(window, sandbox)
        box = wizard.receive_page.partner_type
        await self.choose(box.combo, "gireve-hub")
        self.type_into(box.cert_edit, "/home/me/hub/client.pem")
        self.type_into(box.key_edit, "/home/me/hub/client.key")
        await self.shoot(wizard, "sender-1-partner-type", dialog=True)
        for edit in (box.cert_edit, box.key_edit):  # not this hub after all: clear, choose
            self.click(edit)
            QTest.keyClick(edit, Qt.Key.Key_A, ctrl)
            QTest.keyClick(edit, Qt.Key.Key_Delete)
        await self.choose(box.combo, "plugsurfing-cpo")
        await self.until(wizard.receive_page.isComplete, "the Receive page complete")
        self.click(wizard.receive_page.url_edit)
        await self.to_register(wizard)
        await self.finish(window, wizard)

        # the list and the details, as a click on each row shows them
        await self.select_partner(window, "NL-SBX")
        await self.shoot(window, "main-partners")
        await self.select_partner(window, "IT-VIA")
        await self.shoot(window, "main-partner-token-c-refused")
        await self.select_partner(window, "ES-SOL")
        await self.shoot(window, "main-partner-discovery-incomplete")
        await self.select_partner(window, "FR-ELM")
        await self.tab(window, Qt.Key.Key_O)  # Pr&ofile (Alt+P is the Partner menu)
        profile = window.partner_view.profile_view
        await self.until(lambda: window.partner_view.tabs.currentWidget() is profile, "Profile")
        await self.shoot(window, "partner-profile")

        # a token mix-up: the wizard explains it, the log pane highlights it
        sandbox = await self.sandbox_partner(MIXUP)
        wizard = await self.onboard(window, sandbox)
        await self.to_register(wizard)
        await self.until(lambda: wizard.register_page.error.isVisible(), "the failure")
        await self.shoot(wizard, "sender-3-register-token-mixup", dialog=True)
        self.key(Qt.Key.Key_Escape)
        await self.until(lambda: window.sender_wizard is None, "the wizard closed")
        await self.select_partner(window, "—")  # its run shows in the log pane
        log = window.log_pane
        await self.until(lambda: bool(log.confusion_rows()), "a mix-up in the log")
        index = log.proxy.mapFromSource(log.model.index(log.confusion_rows()[0], 0))
        log.table.scrollTo(index)
        self.click(log.table.viewport(), log.table.visualRect(index).center())
        await self.until(log.explain.isVisible, "the mix-up explained")
        await self.shoot(window, "main-log-token-mixup")

        from screenshots_health import health  # scripts/: the Health tab, Verify, drift

        await health(self, window)

        # Settings (Ctrl+,), then quit (Ctrl+Q)
        if self.dialogs:
            await self.activate(window)
            self.key(Qt.Key.Key_Comma, ctrl)
            from app.gui.settings_dialog import SettingsDialog

            await self.until(lambda: visible(SettingsDialog) is not None, "Settings")
            dialog = visible(SettingsDialog)
            await self.activate(dialog)
            await self.shoot(dialog, "settings", dialog=True)
            self.key(Qt.Key.Key_Escape)
            await self.until(lambda: visible(SettingsDialog) is None, "Settings closed")
        await self.activate(window)
        self.key(Qt.Key.Key_Q, ctrl)
        for sandbox in self.sandboxes:
            await sandbox.stop()


def visible(kind: type) -> Any:
    from PySide6.QtWidgets import QApplication

    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    return found[0] if found else None


def dark_palette() -> Any:
    """What a dark desktop gives (Xvfb has no platform theme to ask)."""
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, "#1e2127"), (roles.WindowText, "#e6e8eb"), (roles.Base, "#16181d"),
        (roles.AlternateBase, "#1c1f25"), (roles.Text, "#e6e8eb"), (roles.Button, "#2a2e36"),
        (roles.ButtonText, "#e6e8eb"), (roles.Highlight, "#3b74d8"),
        (roles.HighlightedText, "#ffffff"), (roles.ToolTipBase, "#2a2e36"),
        (roles.ToolTipText, "#e6e8eb"), (roles.PlaceholderText, "#8a93a3"),
        (roles.Link, "#7fb0ff"),
    ):  # fmt: skip
        palette.setColor(role, QColor(colour))
    for role in (roles.Text, roles.ButtonText, roles.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b7280"))
    return palette


def child(variant: str, out: Path, tmp: Path) -> int:
    """One variant: the app's entry point, the Create dialog typed into, then the driver."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.gui import unlock
    from app.gui.app import run_gui
    from app.gui.main_window import MainWindow
    from app.settings import Settings, save_settings

    dark, width, height, dialogs = VARIANTS[variant]
    app = QApplication(sys.argv[:1])
    if dark:
        QGuiApplication.styleHints().setColorScheme(Qt.ColorScheme.Dark)
        if QGuiApplication.styleHints().colorScheme() != Qt.ColorScheme.Dark:
            app.setPalette(dark_palette())
    settings = tmp / "settings.json"
    save_settings(
        Settings(
            country_code="DE", party_id="ACM", roles=["CPO"], business_name="Acme Charging GmbH"
        ),
        settings,
    )
    suffix = "".join(f"-{p}" for p in reversed(variant.split("-")) if p != "light")
    driver = Driver(out, suffix, (width, height), dialogs)
    state: dict[str, Any] = {"answered": False, "task": None}

    def step() -> None:
        dialog = visible(unlock.PassphraseDialog)
        if dialog is not None and not state["answered"] and dialog.buttons.isEnabled():
            state["answered"] = True
            dialog.activateWindow()
            QTest.keyClicks(dialog.passphrase, PASSPHRASE)
            QTest.keyClick(dialog.passphrase, Qt.Key.Key_Tab)
            QTest.keyClicks(dialog.confirm, PASSPHRASE)
            QTest.keyClick(dialog.confirm, Qt.Key.Key_Return)
            return
        window = visible(MainWindow)
        if window is not None and state["task"] is None:
            state["task"] = asyncio.ensure_future(driver.run(window))
            state["task"].add_done_callback(failed)

    def failed(task: asyncio.Task[None]) -> None:
        """The driver stopped half-way: close the app so that the run ends with the error."""
        if task.cancelled() or task.exception() is None:
            return
        state["error"] = task.exception()
        for widget in QApplication.topLevelWidgets():
            widget.close()
        window = visible(MainWindow)
        if window is not None:
            window.close()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(50)
    code = run_gui(["--gui", "--vault", str(tmp / "vault.db"), "--settings", str(settings)])
    timer.stop()
    if state.get("error") is not None:
        raise state["error"]
    print(f"{variant}: {len(driver.saved)} screenshots, app exit code {code}", flush=True)
    return code


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--variant", action="append", choices=list(VARIANTS))
    parser.add_argument("--child", choices=list(VARIANTS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.child:
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        return child(args.child, out, Path(os.environ["OCPI_SHOTS_TMP"]))

    from tests.desktop.xsession import missing_tools, x_session

    if missing_tools():
        raise SystemExit(f"needs {', '.join(missing_tools())}: bash scripts/setup.sh")
    before = {p: p.stat().st_mtime for p in out.glob("*.png")}
    with x_session(out / ".failures", size="1800x1150") as session:
        for variant in args.variant or list(VARIANTS):
            with tempfile.TemporaryDirectory(prefix="ocpi-onboard-shots-") as tmp:
                env = session.env(
                    XDG_DATA_HOME=f"{tmp}/data",
                    XDG_CONFIG_HOME=f"{tmp}/config",
                    PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
                    OCPI_ONBOARD_NO_SPLASH="1",
                    OCPI_SHOTS_TMP=tmp,
                )
                env.pop("OCPI_ONBOARD_PASSPHRASE", None)
                cmd = [sys.executable, __file__, "--child", variant, "--out", str(out)]
                done = subprocess.run(cmd, env=env, cwd=ROOT, timeout=900, check=False)
                if done.returncode != 0:
                    raise SystemExit(f"{variant}: the app run failed ({done.returncode})")
    written = [p for p in out.glob("*.png") if before.get(p) != p.stat().st_mtime]
    total = sum(p.stat().st_size for p in written)
    print(f"{len(written)} screenshots in {out}, {total / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
