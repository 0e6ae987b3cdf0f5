"""Small wrong things seen walking the real app (session 23 findings).

- A cancelled invitation's row advised "Retry when ready, or forget this row" while Retry
  (a receiver row has none) and Forget (its TOKEN_A was already revoked, so nothing was
  "live") were both disabled: the row could not be ended at all. Forget is now offered for
  any ended, not yet forgotten row, and the advice names only what the row offers.
- An unregistered partner's Health column said "unknown", a health claim about a
  connection that no longer exists: it says "not registered".
- "Added · checked" in the detail (and the Last checked column) stayed at the older check
  after a Verify that reached the partner: a Verify now counts as a check.
- A partner that takes the token only in plain text (the plain-token rehearsal: an OCPI
  2.2+ partner, where it sends it Base64; a 2.1.1 partner raises no mix-up at all) got
  a purple "Token mix-up" banner whose advice was "Nothing to do": the partner departs
  from OCPI, so the advice now says to tell them what their version wants.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from app.gui.models import PartnersTableModel
from app.gui.partner_cells import COL_LAST_CHECKED
from app.vault import Vault
from tests.gui.helpers import (
    WAIT_MS,
    activate,
    click,
    go_next,
    open_sandbox_wizard,
    press,
    register_sandbox,
    select_when_listed,
)
from tests.gui.test_row_actions import answer_box, status_of


def test_a_cancelled_invitation_can_be_forgotten_and_says_so(
    qtbot: Any, window: Any, controller: Any
) -> None:
    wizard = window.open_invite_wizard()
    qtbot.waitUntil(wizard.issue_page.isComplete, timeout=WAIT_MS)
    go_next(qtbot, wizard)
    invitation = wizard.invite_flow.invitation
    click(qtbot, wizard.button(QWizard.WizardButton.CancelButton))
    qtbot.waitUntil(
        lambda: controller.run_record(invitation.run_id).outcome == "cancelled", timeout=5000
    )
    qtbot.waitUntil(lambda: not controller.busy("invite"), timeout=5000)
    select_when_listed(qtbot, window, invitation.partner_id)
    view = window.partner_view
    qtbot.waitUntil(lambda: view.health_banner.isVisible(), timeout=5000)
    advice = view.health_banner.fix.text()
    assert "Retry" not in advice, advice  # a receiver row offers no Retry
    assert not window.retry_action.isEnabled()
    assert "forget this row" in advice and window.forget_action.isEnabled(), advice
    seen: list[str] = []
    answer_box(qtbot, "Yes", seen)  # Forget asks first
    activate(qtbot, window)
    window.forget_action.trigger()
    assert seen and "Forget" in seen[0]
    partner_id = invitation.partner_id

    def shown() -> bool:  # a forgotten row is history: not among the current partners
        row = window.model.row_of(partner_id)
        return bool(window.proxy.mapFromSource(window.model.index(row, 0)).isValid())

    qtbot.waitUntil(lambda: not shown(), timeout=WAIT_MS)
    window.status_filter.setCurrentIndex(window.status_filter.findData("*"))
    assert shown() and status_of(window, partner_id) == "Failed · forgotten"
    select_when_listed(qtbot, window, partner_id)
    assert not window.forget_action.isEnabled()  # forgetting it again would change nothing


def _cell(window: Any, partner_id: int, column: int) -> str:
    return str(window.model.index(window.model.row_of(partner_id), column).data())


def test_an_unregistered_partner_claims_no_health(qtbot: Any, window: Any, controller: Any) -> None:
    partner_id = register_sandbox(qtbot, controller).partner_id
    select_when_listed(qtbot, window, partner_id)
    qtbot.waitUntil(window.unregister_action.isEnabled, timeout=WAIT_MS)
    seen: list[str] = []
    answer_box(qtbot, "Yes", seen)  # Unregister asks first
    activate(qtbot, window)
    window.unregister_action.trigger()
    assert seen and "Unregister" in seen[0]
    qtbot.waitUntil(
        lambda: controller.partner(partner_id).status == "unregistered", timeout=WAIT_MS
    )
    health = PartnersTableModel.COL_HEALTH
    qtbot.waitUntil(lambda: _cell(window, partner_id, health) != "ok", timeout=WAIT_MS)
    assert _cell(window, partner_id, health) == "not registered"


def test_a_verify_counts_as_the_rows_last_check(
    qtbot: Any, window: Any, controller: Any, vault: Vault
) -> None:
    partner_id = register_sandbox(qtbot, controller).partner_id
    with vault.transaction():  # checked long ago
        vault.save_partner(
            replace(vault.partner(partner_id), last_checked="2025-01-02T03:04:05.000000Z")
        )
    select_when_listed(qtbot, window, partner_id)
    qtbot.waitUntil(window.health_ui.verify_action.isEnabled, timeout=WAIT_MS)
    view = window.partner_view
    window._refresh_touched(partner_id, now=True)
    qtbot.waitUntil(lambda: "2025-01-02" in view.dates.text(), timeout=WAIT_MS)
    activate(qtbot, window)
    press(Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: "2025-01-02" not in view.dates.text(), timeout=WAIT_MS)
    assert "never" not in view.dates.text()
    qtbot.waitUntil(
        lambda: "2025" not in _cell(window, partner_id, COL_LAST_CHECKED), timeout=WAIT_MS
    )
    assert _cell(window, partner_id, COL_LAST_CHECKED) not in ("never", "")


def test_a_token_form_mix_up_says_what_to_do(qtbot: Any, window: Any) -> None:
    from app.gui.flows import Phase

    wizard = open_sandbox_wizard(qtbot, window, "plain-token")
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.sender_flow.phase == Phase.READY, timeout=WAIT_MS)
    banner = wizard.discover_page.warnings
    qtbot.waitUntil(banner.isVisible, timeout=WAIT_MS)
    assert banner.title.text().startswith("Token mix-up")
    discovery = wizard.sender_flow.discovery
    assert discovery is not None
    version = discovery.chosen_version
    said = banner.text.text()
    assert "only in plain form" in said and f"OCPI {version} sends it Base64" in said, said
    advice = banner.fix.text()
    assert "Nothing to do" not in advice, advice
    assert f"Tell the partner that OCPI {version} wants the token Base64-encoded" in advice
