"""The window on a team vault (real PostgreSQL): the partners table follows a colleague's
changes by itself (LISTEN/NOTIFY through the vault API), and the status bar names the
team vault without its password."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings
from app.vault import PartnerRecord, TeamVault
from tests.gui.conftest import run_on
from tests.gui.helpers import select_when_listed

ALICE, BOB = "alice passphrase", "bob passphrase!"


@pytest.fixture
def team_window(
    qtbot: Any, qapp: Any, qloop: Any, pg_url: str, settings: Settings, tmp_path: Path
) -> Iterator[tuple[Any, TeamVault]]:
    from app.gui.controller import Controller
    from app.gui.main_window import MainWindow, window_state

    alice = TeamVault.open_url(pg_url, ALICE, "alice")
    alice.add_member("bob", BOB)
    bob = TeamVault.open_url(pg_url, BOB, "bob")
    controller = Controller(alice, settings, settings_path=tmp_path / "settings.json")
    window = MainWindow(controller, state=window_state(tmp_path / "w.ini"))
    qtbot.addWidget(window)
    window.show()
    try:
        yield window, bob
    finally:
        window.close()
        run_on(qapp, controller.aclose(), 20.0)
        bob.close()
        alice.close()


def test_partners_table_follows_a_colleague(qtbot: Any, team_window: tuple[Any, TeamVault]) -> None:
    window, bob = team_window
    assert window.model.rowCount() == 0
    listener = window.controller.vault._listeners[0]
    assert listener.ready.wait(10)
    rec = bob.save_partner(PartnerRecord(None, "NL", "COL", status="registered"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    select_when_listed(qtbot, window, rec.id)
    assert window.selected_partner().ref == "NL-COL"
    bob.save_partner(PartnerRecord(None, "FR", "TWO", business_name="Second"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10_000)
    bob.delete_partner("NL-COL")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    labels = [w.text() for w in window.statusBar().findChildren(type(window.count))]
    assert any("Vault: postgresql://" in text for text in labels)
