"""Screenshots of partner profiles (issue 11): the wizard's "Partner type" choice with a
GIREVE-like preset, and the Profile tab of a partner with a proposal. Real window (X11,
Xvfb if no display), throwaway vault, sandbox partners on loopback.

    .venv/bin/python scripts/screenshots_profiles.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from screenshots import Shooter, display, settle, until  # noqa: E402


async def main(args: argparse.Namespace) -> int:
    from app.core.tokens import Secret, TokenRole, generate_token
    from app.engine.profiles import load_preset, materialize
    from app.gui.controller import Controller
    from app.gui.main_window import MainWindow, window_state
    from app.gui.unlock import open_with_passphrase
    from app.sandbox import SandboxPartner
    from app.settings import Settings

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    shooter = Shooter(out)
    with tempfile.TemporaryDirectory(prefix="ocpi-onboard-shots-") as tmp:
        vault = await open_with_passphrase(Path(tmp) / "vault.db", "screenshots passphrase")
        settings = Settings(
            country_code="DE", party_id="ACM", roles=["CPO"], business_name="Acme Charging GmbH"
        )
        controller = Controller(vault, settings, settings_path=Path(tmp) / "settings.json")
        window = MainWindow(controller, state=window_state(Path(tmp) / "window.ini"))
        window.resize(1024, 700)
        window.show()
        engine = await controller.engine()

        wizard = window.open_sender_wizard(sandbox_fault="none")
        page = wizard.receive_page
        await until(lambda: bool(page.url_edit.text()) and page.isComplete())
        box = page.partner_type
        box.combo.setCurrentIndex(box.combo.findData("gireve-hub"))
        box.cert_edit.setText("/home/me/hub/client.pem")
        box.key_edit.setText("/home/me/hub/client.key")
        await shooter.shoot(wizard, "sender-1-partner-type")
        wizard.reject()
        await until(lambda: window.sender_wizard is None)

        token = Secret(generate_token(), TokenRole.A)
        sandbox = SandboxPartner(
            token, versions=("2.2.1",), fault="plain-token", http_settings=engine.http_settings
        )
        await sandbox.start()
        profile = materialize(load_preset("plugsurfing-cpo"))
        result = await engine.register(sandbox.versions_url, token, profile=profile)
        if result.status != "registered":
            raise RuntimeError(str(result.diagnosis))
        window.resize(1240, 900)  # room for the whole tab (it scrolls at 1024x700)
        window.reload_partners()
        window.select_partner(result.partner_id)
        tabs = window.partner_view.tabs
        tabs.setCurrentIndex(next(i for i in range(tabs.count()) if "Profile" in tabs.tabText(i)))
        await settle(0.3)
        await shooter.shoot(window, "partner-profile")
        window.close()
        await controller.aclose()
        await sandbox.stop()
        vault.close()
    print(f"{len(shooter.saved)} screenshots in {out}")
    return 0


def run() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    with display():
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        os.environ.pop("OCPI_ONBOARD_PASSPHRASE", None)
        import qasync
        from PySide6.QtWidgets import QApplication

        app = QApplication(sys.argv[:1])
        app.setApplicationName("OCPI Onboard")
        app.setQuitOnLastWindowClosed(False)
        from app.gui.theme import apply_theme

        apply_theme(app)
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            return int(loop.run_until_complete(main(args)))


if __name__ == "__main__":
    sys.exit(run())
