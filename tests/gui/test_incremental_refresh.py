"""The partners list follows what runs change, row by row, without rebuilding itself.

Issue 13 (UI stalls): a liveness sweep touches every registered partner within seconds;
the list used to wait for the touches to stop (a debounce a busy sweep kept postponing)
and then refreshed hundreds of rows in one go. Now touched rows are refreshed in slices on
later turns of the loop. These tests prove the behaviour: each touched partner's row ends
up showing what the vault says, the model is never reset for it, rows replaced by a new
registration of the same CC-PID are found without scanning the list. No timing here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt

from app.gui.main_window import TOUCH_SLICE
from app.gui.models import CredentialsModel, PartnersTableModel
from app.vault import PartnerRecord, Vault
from tests.gui.helpers import add_partners

NAME = 2


def name_of(window: Any, partner_id: int) -> str:
    model = window.model
    return str(model.data(model.index(model.row_of(partner_id), NAME), Qt.ItemDataRole.DisplayRole))


def count_resets(model: PartnersTableModel) -> list[int]:
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    return resets


def test_a_touched_partner_shows_the_vaults_record_without_a_reset(
    qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    partners = add_partners(vault, 40)
    window.reload_partners()
    resets = count_resets(window.model)
    changed = vault.save_partner(replace(partners[7], business_name="Renamed Charging"))
    assert changed.id is not None
    controller.partner_touched(changed.id)
    qtbot.waitUntil(lambda: name_of(window, changed.id) == "Renamed Charging", timeout=5000)
    assert resets == []
    assert name_of(window, partners[8].id or 0) == "Company 8"  # the others as they were


def test_a_sweep_sized_burst_of_touches_reaches_every_row_in_slices(
    qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    """More touched partners than one slice: each row still ends up current, no reset."""
    partners = add_partners(vault, TOUCH_SLICE * 4 + 3)
    window.reload_partners()
    resets = count_resets(window.model)
    renamed = {}
    for record in partners:
        assert record.id is not None
        renamed[record.id] = f"After {record.id}"
        vault.save_partner(replace(record, business_name=renamed[record.id]))
        controller.partner_touched(record.id)
    qtbot.waitUntil(
        lambda: all(name_of(window, pid) == name for pid, name in renamed.items()), timeout=10_000
    )
    assert resets == []
    assert window._touched == set()


def test_a_touched_partner_that_is_gone_leaves_the_list(
    qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    partners = add_partners(vault, 5)
    window.reload_partners()
    gone = partners[2].id
    assert gone is not None
    vault.delete_partner(gone)
    controller.partner_touched(gone)
    qtbot.waitUntil(lambda: window.model.row_of(gone) < 0, timeout=5000)
    assert window.model.rowCount() == 4


def test_same_identity_follows_upserts_replacements_and_removals(qapp: Any) -> None:
    model = PartnersTableModel()

    def rec(pid: int, cc: str, party: str, status: str = "registered") -> PartnerRecord:
        return PartnerRecord(id=pid, country_code=cc, party_id=party, status=status)

    model.set_partners([rec(1, "DE", "AAA"), rec(2, "DE", "BBB"), rec(3, "", "")])
    model.upsert(rec(4, "DE", "AAA"))
    assert model.same_identity(rec(4, "DE", "AAA")) == [1]
    assert model.same_identity(rec(1, "DE", "AAA")) == [4]
    # a pending row learns its identity when the registration completes
    model.upsert(rec(3, "DE", "BBB"))
    assert model.same_identity(rec(2, "DE", "BBB")) == [3]
    # the identity of a row that changed is no longer found under its old key
    model.upsert(rec(2, "NL", "BBB"))
    assert model.same_identity(rec(3, "DE", "BBB")) == []
    model.remove(4)
    assert model.same_identity(rec(1, "DE", "AAA")) == []
    assert model.same_identity(rec(9, "", "")) == []


def test_the_token_table_is_refilled_only_when_the_tokens_change(
    qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    """Each refresh of the detail (every touch of the partner) used to reset the token
    table and re-measure every cell; now only a change of tokens refills it, and its
    columns still fit their headers and contents."""
    from app.core.tokens import Secret, TokenRole, generate_token
    from app.vault import Direction, TokenState

    partner = add_partners(vault, 1, "registered")[0]
    assert partner.id is not None
    vault.add_token(
        partner.id, TokenRole.C, Direction.OUTBOUND, Secret(generate_token()), TokenState.ACTIVE
    )
    window.reload_partners()
    assert window.select_partner(partner.id)
    view = window.partner_view
    model = view.credentials_model
    assert model.rowCount() == 1
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    view.refresh()
    assert resets == [] and model.rowCount() == 1
    vault.add_token(
        partner.id, TokenRole.B, Direction.INBOUND, Secret(generate_token()), TokenState.ACTIVE
    )
    view.refresh()
    assert resets == [1] and model.rowCount() == 2
    header = view.credentials.horizontalHeader()
    for column in range(model.columnCount() - 1):  # the last one stretches
        needed = max(
            header.sectionSizeFromContents(column).width(),
            view.credentials.sizeHintForColumn(column),
        )
        assert header.sectionSize(column) >= needed


def _shown_cells(view: Any) -> list[list[str]]:
    model = view.credentials_model
    return [
        [str(model.index(r, c).data()) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def _set_last_used(vault: Vault, cred_id: int, when: str) -> None:
    with vault.transaction():  # set-up only: the time a run last presented the token
        vault._exec("UPDATE credentials SET last_used = ? WHERE id = ?", (when, cred_id))


def test_a_token_used_again_within_the_minute_keeps_its_rows_and_takes_the_new_record(
    qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    """A run's calls move a token's "last used" by seconds: the detail's refresh after
    each run event reset the token table and re-measured every cell for a row that reads
    the same. Now it keeps the rows (no reset) but holds the new records (Reveal and Copy
    read them); a new minute, a new state or a new token refills it. Each time the table
    shows what a fresh show of the partner shows."""
    from app.core.tokens import Secret, TokenRole, generate_token
    from app.vault import Direction, TokenState

    partner = add_partners(vault, 1, "registered")[0]
    assert partner.id is not None
    token = vault.add_token(
        partner.id, TokenRole.C, Direction.OUTBOUND, Secret(generate_token()), TokenState.ACTIVE
    )
    _set_last_used(vault, token.id, "2026-03-02T10:15:05.000000Z")
    window.reload_partners()
    assert window.select_partner(partner.id)
    view = window.partner_view
    model = view.credentials_model
    view.credentials.selectRow(0)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))

    def fresh() -> list[list[str]]:
        """What the partner's detail shows when chosen anew (another partner, then it)."""
        other = CredentialsModel()
        other.set_credentials(controller.credentials(partner.id))
        return [
            [str(other.index(r, c).data()) for c in range(other.columnCount())]
            for r in range(other.rowCount())
        ]

    _set_last_used(vault, token.id, "2026-03-02T10:15:48.000000Z")  # the same minute
    view.refresh()
    assert resets == []
    assert model.record(0).last_used == "2026-03-02T10:15:48.000000Z"
    assert _shown_cells(view) == fresh()
    assert view.selected_credential() is not None  # the selection kept, Reveal still on
    assert view.reveal_button.isEnabled()
    assert view.selected_credential().last_used == "2026-03-02T10:15:48.000000Z"

    _set_last_used(vault, token.id, "2026-03-02T10:16:02.000000Z")  # a new minute shown
    view.refresh()
    assert resets == [1] and _shown_cells(view) == fresh()

    vault.set_token_state(token.id, TokenState.REVOKED)  # a new state shown
    view.refresh()
    assert resets == [1, 1] and _shown_cells(view) == fresh()
    assert model.record(0).state == TokenState.REVOKED
