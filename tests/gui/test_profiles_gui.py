"""Partner profiles in the GUI, used as a person does: the wizard's "Partner type" choice
(keyboard on the real combo box) says in plain words what a preset changes and is obeyed
(a pinned version), a mutual-TLS hub asks for its certificate before Next, and the partner
detail's Profile tab shows the stored profile and applies a proposal on its button.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.gui.flows import Phase
from app.gui.wizard_sender import PAGE_CONFIRM
from app.vault.profiles import ProfileStore
from tests.gui.helpers import (
    WAIT_MS,
    click,
    go_next,
    open_sandbox_wizard,
    register_sandbox,
    select_when_listed,
)


def _choose(qtbot: Any, combo: Any, title_part: str) -> None:
    """Pick an item with the keyboard: Home, then Down until the title matches."""
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if title_part in combo.currentText():
            return
        QTest.keyClick(combo, Qt.Key.Key_Down)
    assert title_part in combo.currentText(), [combo.itemText(i) for i in range(combo.count())]


def test_partner_type_explains_and_a_pinned_version_is_obeyed(
    qtbot: Any, window: Any, controller: Any
) -> None:
    wizard = open_sandbox_wizard(qtbot, window)
    box = wizard.receive_page.partner_type
    assert box.combo.count() >= 5  # the default and at least four presets
    assert "the defaults" in box.explain.text()
    _choose(qtbot, box.combo, "2.1.1")
    assert "OCPI 2.1.1 only" in box.explain.text()
    assert "plain tokens" in box.explain.text()
    assert "Uses OCPI 2.1.1 only" in box.explain.toolTip()  # the full sentences
    assert box.tls.isHidden()
    go_next(qtbot, wizard)
    flow = wizard.sender_flow
    qtbot.waitUntil(lambda: flow.phase in (Phase.READY, Phase.FAILED), timeout=WAIT_MS)
    assert flow.phase == Phase.READY, flow.diagnosis
    assert "2.1.1" in wizard.discover_page.negotiated.text()
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: flow.phase in (Phase.DONE, Phase.FAILED), timeout=WAIT_MS)
    go_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_CONFIRM
    assert wizard.confirm_page.version.text().startswith("2.1.1")
    partner = controller.vault.partner("NL-SBX")
    stored = ProfileStore(controller.vault).load(partner.id)
    assert stored is not None and stored.ocpi_version == "2.1.1" and stored.name == "strict-211"


def test_a_mutual_tls_hub_wants_its_certificate_before_next(qtbot: Any, window: Any) -> None:
    wizard = open_sandbox_wizard(qtbot, window)
    page = wizard.receive_page
    box = page.partner_type
    _choose(qtbot, box.combo, "GIREVE")
    assert "mutual TLS required" in box.explain.text()
    assert "rotation: DELETE + new registration" in box.explain.text()
    assert "routing headers" in box.explain.text()
    assert "Requires mutual TLS" in box.explain.toolTip()
    assert box.tls.isVisible()
    assert not page.isComplete()
    assert any("requires mutual TLS" in text for text in box.hints.texts())
    QTest.keyClicks(box.cert_edit, "/nonexistent/client.pem")
    assert not page.isComplete()  # a certificate goes with its key
    QTest.keyClicks(box.key_edit, "/nonexistent/client.key")
    assert page.isComplete()
    click(qtbot, wizard.button(wizard.WizardButton.NextButton))
    assert wizard.currentId() == 0  # the unreadable file stops the page, said plainly
    assert any("not found" in text for text in box.hints.texts())


def test_profile_tab_shows_the_profile_and_applies_a_proposal(
    qtbot: Any, window: Any, controller: Any
) -> None:
    result = register_sandbox(qtbot, controller, fault="plain-token")
    select_when_listed(qtbot, window, result.partner_id)
    view = window.partner_view
    tabs = view.tabs
    index = next(i for i in range(tabs.count()) if "Profile" in tabs.tabText(i).replace("&", ""))
    bar = tabs.tabBar()
    bar.setFocus()
    for _ in range(tabs.count()):
        if tabs.currentIndex() == index:
            break
        QTest.keyClick(bar, Qt.Key.Key_Right)
    assert tabs.currentIndex() == index
    profile_view = view.profile_view
    assert profile_view.proposals_title.isVisible()
    buttons = [b for b in profile_view.findChildren(type(window.partner_view.reveal_button))]
    apply = next(b for b in buttons if b.text() == "Apply token_encoding")
    click(qtbot, apply)
    store = ProfileStore(controller.vault)
    qtbot.waitUntil(lambda: not store.proposals(result.partner_id), timeout=5000)
    stored = store.load(result.partner_id)
    assert stored is not None and stored.token_encoding == "plain"
    assert ProfileStore(controller.vault).proposals(result.partner_id) == []
    qtbot.waitUntil(lambda: not view.profile_view.proposals_title.isVisible(), timeout=5000)


def test_the_built_in_presets_are_read_once_per_folder(qapp: Any, monkeypatch: Any) -> None:
    """Each Sender wizard asked for the presets; they are read from disk once (issue 13)."""
    from app.engine.profiles import listing
    from app.gui import profile_widgets

    monkeypatch.setattr(profile_widgets, "_PRESETS", {})
    reads: list[int] = []

    def counted() -> Any:
        reads.append(1)
        return listing()

    # profile_widgets loads the profiles module on first use (issue 13): patch it there
    monkeypatch.setattr("app.engine.profiles.listing", counted)
    first = profile_widgets.PartnerTypeBox()
    second = profile_widgets.PartnerTypeBox()
    assert [p.name for p in first.presets] == [p.name for p in listing()]
    assert [p.name for p in second.presets] == [p.name for p in first.presets]
    assert reads == [1]
