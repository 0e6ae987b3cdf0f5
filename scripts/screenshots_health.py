"""Screenshots of connection health: the partners list's health columns and a partner's
Health tab with its verify report and drift history (docs/screenshots/health-*.png).

Three in-process sandbox partners with their own identities: one clean, one whose
pagination headers lie (verified: the report shows the failing checks), one whose tariffs
module disappeared after registration (checked: drift), one with a 45-day-old token.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_health.py [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARTNERS = (
    ("BE", "VLT", "Volta Charging Network", "none"),
    ("AT", "ALP", "Alpine Energy Points", "lying-pagination"),
    ("IT", "VIA", "Via Ricarica", "drift-module"),
    ("FR", "ELM", "Électro Recharge", "none"),
)


async def settle(seconds: float = 0.3) -> None:
    from PySide6.QtWidgets import QApplication

    end = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < end:
        QApplication.processEvents()
        await asyncio.sleep(0.02)


async def main(out: Path) -> int:
    from app.core.tokens import Secret, TokenRole, generate_token
    from app.gui.controller import Controller
    from app.gui.main_window import MainWindow, window_state
    from app.sandbox import SandboxPartner
    from app.settings import Settings
    from app.vault import Vault

    tmp = Path(tempfile.mkdtemp(prefix="ocpi-health-shots-"))
    vault = Vault.open(tmp / "vault.db", passphrase="screenshots only", use_keyring=False)
    settings = Settings(country_code="DE", party_id="ONB", roles=["EMSP"], business_name="Onboard")
    controller = Controller(vault, settings, settings_path=tmp / "settings.json")
    window = MainWindow(controller, state=window_state(tmp / "window.ini"), export_dir=tmp)
    window.resize(1024, 700)
    window.show()
    engine = await controller.engine()
    sandboxes: list[Any] = []
    ids: dict[str, int] = {}
    for country, party, name, fault in PARTNERS:
        token_a = Secret(generate_token(), TokenRole.A)
        identity = {
            "role": "CPO",
            "country_code": country,
            "party_id": party,
            "business_details": {"name": name},
        }
        sandbox = SandboxPartner(token_a, versions=("2.2.1",), fault=fault, identity=identity)
        await sandbox.start()
        sandboxes.append(sandbox)
        result = await engine.register(sandbox.versions_url, token_a)
        assert result.status == "registered", result.diagnosis
        ids[party] = int(result.partner_id or 0)
    for party in ("VLT", "ALP"):
        await engine.verify(ids[party])
    await engine.check(ids["VIA"])
    old = (datetime.now(UTC) - timedelta(days=45)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with vault.transaction():
        vault._exec("UPDATE credentials SET created = ? WHERE partner_id = ?", (old, ids["ELM"]))
    window.reload_partners()
    await settle()
    window.select_partner(ids["ALP"])
    await settle()
    out.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out / "health-list.png"))
    view = window.partner_view
    view.tabs.setCurrentWidget(window.health_ui.tab)
    dialog = window.health_ui.tab.open_report()
    await settle()
    dialog.grab().save(str(out / "health-verify-report.png"))
    dialog.close()
    window.select_partner(ids["VIA"])
    view.tabs.setCurrentWidget(window.health_ui.tab)
    await settle()
    window.grab().save(str(out / "health-drift.png"))
    window.close()
    await controller.aclose()
    for sandbox in sandboxes:
        await sandbox.stop()
    vault.close()
    print(f"wrote health-list.png, health-verify-report.png, health-drift.png to {out}")
    return 0


def run() -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        return loop.run_until_complete(main(args.out))


if __name__ == "__main__":
    raise SystemExit(run())
