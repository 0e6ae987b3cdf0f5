"""Small wrong things seen walking the real app (session 23 findings).

- A cancelled invitation's row advised "Retry when ready, or forget this row" while Retry
  (a receiver row has none) and Forget (its TOKEN_A was already revoked, so nothing was
  "live") were both disabled: the row could not be ended at all. Forget is now offered for
  any ended, not yet forgotten row, and the advice names only what the row offers.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWizard

from tests.gui.helpers import WAIT_MS, activate, click, go_next, select_when_listed
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
