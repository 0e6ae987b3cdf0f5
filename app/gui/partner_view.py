"""One partner in detail: identity, roles, version, endpoints, credentials, history.

Tokens appear by fingerprint; Reveal and Copy of a value happen only on the explicit
buttons (the revealed value hides itself again after 30 s, the clipboard is cleared).

The detail (head, banners, tabs) is built on first use: the first partner or result shown,
or ahead once the start has settled (`app/gui/ahead.py`); nothing is selected at start-up,
and it cost ~25 ms of the window's start plus its styling (issue 13, target 1). Its width
in the splitter does not wait for it (`app/gui/detail_floor.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from PySide6.QtCore import QEvent, QItemSelection, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.diagnosis import Diagnosis, OnboardingError, diagnose
from app.engine.health import WAITING, Health, kind_words, outcome_words
from app.gui.clipboard import SecretClipboard
from app.gui.controller import Controller
from app.gui.detail_floor import (
    DETAIL_MARGINS,
    DETAIL_SPACING,
    HEAD_SPACING,
    TAB_PAGE_SIDES,
    DetailFloor,
)
from app.gui.errors import show_error
from app.gui.focus_order import follow_in_tab_order
from app.gui.list_keys import PickListView
from app.gui.models import CredentialsModel, roles_text, short_time, status_key, status_text
from app.gui.theme import mono_font
from app.gui.url_cells import copy_rows_on_ctrl_c, url_item
from app.gui.widgets import Banner, Pill, WrappingPill, card, muted
from app.vault import CredentialRecord, PartnerRecord, RunRecord

REVEAL_MS = 30_000
TOKEN_NOTE = "Select a token, then Reveal or Copy. Values stay encrypted otherwise."
SHOWN_NOTE = f"Shown for {REVEAL_MS // 1000} s."  # while a revealed value is shown
LATER_MS = 8  # refresh_soon: past the next turn's repaint, within a 60 Hz frame


class DetailRead(NamedTuple):
    """What `show_partner` reads from the vault for one partner, read on one turn of the
    loop and drawn on the next by `refresh_soon` (see there)."""

    partner_id: int
    partner: PartnerRecord | None
    health: Health | None
    credentials: list[CredentialRecord]
    runs: list[RunRecord]


def _single_shot(parent: QWidget, interval_ms: int, slot: Callable[[], None]) -> QTimer:
    """A single-shot timer kept by `parent` and started again for each request: however
    often a turn asks, `slot` runs once, `interval_ms` later."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer


def _table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setAccessibleName(name)
    table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
    return table


def history_message(diagnosis: dict[str, object]) -> str:
    """A run's diagnosis in plain words, the code after it (older rows stored only the code)."""
    code = str(diagnosis.get("code", ""))
    if not code:
        return ""
    message = str(diagnosis.get("message", ""))
    if not message:
        try:
            message = diagnose(code).message
        except KeyError:
            return code
    return f"{message} ({code})"


class PartnerView(QWidget):
    """The detail pane beside the partners list."""

    runSelected = Signal(str)  # a run of this partner, to show in the log pane
    redrawnLater = Signal()  # a refresh_soon done: what follows the detail follows it now

    def __init__(
        self, controller: Controller, clipboard: SecretClipboard, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.clipboard = clipboard
        self.partner: PartnerRecord | None = None
        self.health: Health | None = None
        self._runs: list[RunRecord] = []  # the partner's runs, newest first
        self._history_runs: list[RunRecord] = []  # the runs the history table shows
        self.show_hooks: list[Callable[[PartnerRecord], None]] = []
        self._build_hooks: list[Callable[[], None]] = []
        self.built = False  # the detail (build_detail)
        self._offers = (False, False, False)  # show_offers before the detail was built
        self.floor = DetailFloor()
        self.floor.take_drift_after_first_paint(self)
        self._refresh_timer: QTimer | None = None  # refresh_soon's, made on first use
        self._draw_timer: QTimer | None = None  # the turn after refresh_soon's read
        self._read: DetailRead | None = None  # that read, to draw
        # the hidden tabs a background refresh left to fill (see _fill_tabs), and when
        self._owed: dict[QWidget, Callable[[], None]] = {}
        self._drawing_later = False  # inside a background refresh's draw
        self._owed_timer: QTimer | None = None
        self._next: tuple[int | None] | None = None  # show_partner_soon's partner, if asked
        # what the endpoints and history tables show: a refresh refills only what changed
        self._endpoint_rows: list[tuple[str, ...]] | None = None
        self._history_rows: list[tuple[tuple[str, ...], str]] | None = None
        self.shown = 0  # show_partner calls (the tests count the detail's refreshes)
        self.stack = QStackedWidget()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        self.placeholder = muted("Select a partner to see its credentials, endpoints and history.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.placeholder)
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.timeout.connect(self.hide_revealed)

    # ---- layout ---------------------------------------------------------------------------
    def minimumSizeHint(self) -> QSize:
        """As narrow as the detail's floor, built or not: the splitter never moves for it."""
        return QSize(self.floor.width(self), super().minimumSizeHint().height())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.floor.forget()  # measured again with the new fonts or style sheet
            self.updateGeometry()
        super().changeEvent(event)

    def when_built(self, hook: Callable[[], None]) -> None:
        """Call `hook` once the detail exists (now, if it does): the Health tab, the buttons."""
        if self.built:
            hook()
        else:
            self._build_hooks.append(hook)

    def build_detail(self) -> None:
        """The detail, once: in place in the stack (each reparenting restyles the subtree
        it moves), then what `when_built` asked for, then its place in the Tab order."""
        if self.built:
            return
        self.built = True
        self.floor.take_drift(self)  # whole before the content it holds
        # the detail scrolls when the window is short (two banners at 1024×700): the token
        # table keeps its minimum height instead of collapsing to its header
        self.detail_scroll = scroll = QScrollArea()
        # Tab stops here (arrows and Page Up/Down scroll it): its border shows the focus,
        # which was nowhere to be seen (resources/style.qss, DETAIL_FRAME)
        scroll.setObjectName("PartnerDetail")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack.addWidget(scroll)
        self._detail_page = page = QWidget()
        scroll.setWidget(page)
        self._build_detail(page)
        hooks, self._build_hooks = self._build_hooks, []
        for hook in hooks:
            hook()
        follow_in_tab_order(self.placeholder, scroll)
        self.show_offers(*self._offers)

    def _build_detail(self, page: QWidget) -> None:
        from app.gui.profile_widgets import ProfileView

        layout = QVBoxLayout(page)
        layout.setContentsMargins(*DETAIL_MARGINS)
        layout.setSpacing(DETAIL_SPACING)
        head = QHBoxLayout()
        head.setSpacing(HEAD_SPACING)
        titles = QVBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("PartnerTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = muted()
        titles.addWidget(self.title)
        head.addLayout(titles, 1)
        self.sandbox_pill = Pill("Sandbox", "info")
        self.sandbox_pill.setToolTip("A demo partner that runs inside this app, not a real one")
        self.role_pill = Pill()
        # A status with a finding ("Registered · TOKEN_C refused") can be wider than the
        # detail's floor (app/gui/detail_floor.py): it wraps when squeezed, never cut.
        self.status_pill = WrappingPill()
        head.addWidget(self.sandbox_pill, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.role_pill, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.status_pill, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)
        layout.addWidget(self.subtitle)  # the whole width, not the column beside the pills
        # what is wrong with this partner now, in plain words, with the fix (app.engine.health)
        self.health_banner = Banner()
        self.health_banner.setAccessibleName("Partner health")
        # the main window connects these to its Retry / Resume / Forget actions
        self.retry_button = self.health_banner.add_button("Re&try…", "Retry the registration")
        # their letters are the window's own: Alt+F is the File menu, Alt+M Suspected
        # compromise (Health tab), and a letter two visible widgets share does neither
        self.resume_button = self.health_banner.add_button("Res&ume", "Resume the registration")
        self.forget_button = self.health_banner.add_button("For&get…", "Forget this row")
        layout.addWidget(self.health_banner)
        self.banner = Banner()
        self.banner_close = self.banner.add_button("Dismiss")
        self.banner_close.clicked.connect(self.banner.hide)
        layout.addWidget(self.banner)

        info = card()
        form = QFormLayout(info)
        form.setContentsMargins(14, 10, 14, 10)
        form.setVerticalSpacing(5)
        self.roles = QLabel()
        self.roles.setWordWrap(True)
        self.version = QLabel()
        self.versions_url = QLabel()
        self.versions_url.setFont(mono_font())
        self.versions_url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.versions_url.setWordWrap(True)
        self.encoding = QLabel()
        self.dates = QLabel()
        form.addRow("Roles", self.roles)
        form.addRow("OCPI version", self.version)
        form.addRow("Versions URL", self.versions_url)
        form.addRow("Token header", self.encoding)
        form.addRow("Added · checked", self.dates)
        layout.addWidget(info)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Partner details")
        layout.addWidget(self.tabs, 1)  # the last row, placed before its pages are added
        self.tabs.addTab(self._build_credentials(), "&Credentials")
        self.endpoints = _table(["Module", "Role", "URL"], "Partner endpoints")
        # cut at the right, every URL read "http://host:port/ocpi/2.3.0/…": both ends show,
        # the whole URL on hover and in Ctrl+C (app/gui/url_cells.py)
        self.endpoints.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.endpoints.setWordWrap(False)  # wrapped at a slash, its first line was all one saw
        copy_rows_on_ctrl_c(self.endpoints)
        self.tabs.addTab(self.endpoints, "E&ndpoints")
        self.history = _table(["When", "Run", "Outcome", "State", "Diagnosis"], "Run history")
        self.history.itemSelectionChanged.connect(self._on_history_itemSelectionChanged)
        self.tabs.addTab(self.history, "H&istory")  # Alt+H is the Help menu
        self.profile_view = ProfileView()
        self.profile_view.applyRequested.connect(self._on_profile_view_applyRequested)
        self.tabs.addTab(self.profile_view, "Pr&ofile")  # Alt+P is the Partner menu
        self.tabs.currentChanged.connect(self._on_tabs_currentChanged)

    def _build_credentials(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(TAB_PAGE_SIDES, 8, TAB_PAGE_SIDES, 8)
        self.credentials_model = CredentialsModel(self)
        self.credentials = PickListView()
        self.credentials.setModel(self.credentials_model)
        self.credentials.setTabKeyNavigation(False)  # Tab leaves the table
        self.credentials.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.credentials.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.credentials.verticalHeader().setVisible(False)
        header = self.credentials.horizontalHeader()
        # every header readable, scroll sideways if narrow: sized to the contents once per
        # fill (_fill_credentials); ResizeToContents re-measured every cell on each change
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.credentials.setAccessibleName("Credentials by fingerprint")
        self.credentials.selectionModel().selectionChanged.connect(
            self._on_credentials_selectionChanged
        )
        rows = self.credentials.verticalHeader().defaultSectionSize()
        header_height = header.sizeHint().height()
        self.credentials.setMinimumHeight(header_height + rows * 5 // 2 + 4)  # 2½ rows
        # wide enough for every column but the last (Used · ended, which scrolls into view
        # when the detail is narrow), measured once on sample cells: a minimum that followed
        # the tokens shown moved the splitter on every fill (see DetailFloor)
        self.credentials.setMinimumWidth(self.floor.parts(self).tokens)
        layout.addWidget(self.credentials, 1)
        row = QHBoxLayout()
        self.reveal_button = QPushButton("&Reveal")
        self.reveal_button.setAccessibleName("Reveal the selected token")
        self.reveal_button.setToolTip("Show the selected token's value for 30 seconds")
        self.copy_button = QPushButton("Cop&y")
        self.copy_button.setAccessibleName("Copy the selected token")
        self.copy_button.setToolTip(
            "Copy the selected token; the clipboard is cleared after 30 seconds"
        )
        self.revealed = QLineEdit()
        self.revealed.setReadOnly(True)
        self.revealed.setFont(mono_font())
        self.revealed.setAccessibleName("Revealed token")
        self.revealed.hide()
        self.note = muted(TOKEN_NOTE)
        row.addWidget(self.reveal_button)
        row.addWidget(self.copy_button)
        row.addWidget(self.revealed, 1)
        layout.addLayout(row)
        layout.addWidget(self.note)
        self.reveal_button.clicked.connect(self._on_reveal_button_clicked)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.clipboard.cleared.connect(self._on_clipboard_cleared)
        self._update_token_buttons()
        return page

    # ---- contents ---------------------------------------------------------------------------
    def read_partner(self, partner_id: int) -> DetailRead:
        """Everything of the partner the detail shows that the vault holds, no widget
        touched: its record, its health, its tokens, its runs."""
        partner = self.controller.partner(partner_id)
        if partner is None:
            return DetailRead(partner_id, None, None, [], [])
        return DetailRead(
            partner_id,
            partner,
            self.controller.partner_health(partner),
            self.controller.credentials(partner_id),
            self.controller.runs(partner_id),
        )

    def show_partner(
        self, partner_id: int | None, read: DetailRead | None = None, drawn_later: bool = False
    ) -> None:
        """Show `partner_id` (None: no partner), read now, or from `read` when it is this
        partner's, read by refresh_soon on the turn before (`drawn_later`: its hidden tabs
        on the next turn, see `_fill_tabs`)."""
        if self._refresh_timer is not None:  # this reads it all now: no later refresh
            self._refresh_timer.stop()
        self._drop_read()
        self._owed = {}  # this show fills them
        self._next = None
        self.shown += 1
        if self.built and (self.partner is None or partner_id != self.partner.id):
            self.banner.hide()
            self.hide_revealed()
            # another partner starts at its head: the last one's offset (its Health tab,
            # scrolled to) showed the next from the middle of a banner, its name hidden
            self.detail_scroll.verticalScrollBar().setValue(0)
        if partner_id is not None and (read is None or read.partner_id != partner_id):
            read = self.read_partner(partner_id)
        partner = read.partner if read is not None and partner_id is not None else None
        self.partner = partner
        if partner is None:
            self.stack.setCurrentIndex(0)
            return
        self.build_detail()
        self.stack.setCurrentIndex(1)
        self.title.setText(partner.ref if partner.country_code else f"Partner #{partner.id}")
        self.role_pill.set_status(
            "We are Sender" if partner.our_role == "sender" else "We are Receiver", "info"
        )
        assert read is not None and read.health is not None
        self.health = read.health
        # "Waiting for the partner to register" only while an invitation is open: it was
        # said of every unnamed pending row, a cancelled Sender registration too
        waiting = WAITING.code in self.health.codes()
        subtitle = partner.business_name or (
            "Waiting for the partner to register" if waiting else ""
        )
        self.subtitle.setText(subtitle)
        # an empty label still takes a line and the layout's spacing: a blank gap under
        # "Partner #1" (no business name yet) between the head and its banner
        self.subtitle.setVisible(bool(subtitle))
        self.status_pill.set_status(
            status_text(partner, self.health), status_key(partner, self.health)
        )
        self.sandbox_pill.setVisible(self.health.sandbox)
        self._show_health(self.health)
        self.roles.setText(self._roles_detail(partner))
        self.version.setText(partner.ocpi_version or "not negotiated yet")
        self.versions_url.setText(partner.versions_url or "—")
        self.encoding.setText(
            {"auto": "automatic (by version)", "base64": "Base64", "raw": "plain"}.get(
                partner.token_encoding, partner.token_encoding
            )
        )
        self.dates.setText(
            f"{short_time(partner.created)} · {short_time(partner.last_checked) or 'never checked'}"
        )
        self._runs = sorted(read.runs, key=lambda r: r.created, reverse=True)
        self._drawing_later = drawn_later
        try:
            for hook in self.show_hooks:  # more tabs (app/gui/health_ui.py)
                hook(partner)
            self._fill_credentials(read.credentials)
            self._fill_tabs(partner)
        finally:
            self._drawing_later = False

    def _fill_tabs(self, partner: PartnerRecord) -> None:
        from app.gui.profile_widgets import fill_profile

        runs = self._runs
        self.fill_when_seen(self.endpoints, lambda: self._fill_endpoints(partner))
        self.fill_when_seen(self.history, lambda: self._fill_history(runs))
        self.fill_when_seen(
            self.profile_view,
            lambda: fill_profile(self.profile_view, self.controller.vault, partner),
        )

    def fill_when_seen(self, page: QWidget, fill: Callable[[], None]) -> None:
        """Fill the tab `page` with the partner being shown: now, or in a background
        refresh's draw while it is hidden, on the next turn, or at once when it comes
        into view (before its first paint) or its selection is asked (`_pay_owed`). A
        hidden tab's refill (~1-1.5 ms at a new partner, the Health tab's with the rest)
        no longer shares the draw's turn and its repaint (issue 13); none is ever seen
        holding the last partner."""
        if not self._drawing_later or self.tabs.currentWidget() is page:
            fill()
            return
        self._owed[page] = fill
        if self._owed_timer is None:
            self._owed_timer = _single_shot(self, 0, self._on_owed_timer_timeout)
        self._owed_timer.start()

    def _pay_owed(self, page: QWidget | None = None) -> None:
        """Fill what a background refresh left to fill: `page`'s, or every one."""
        if self.controller.vault.closed:  # quit or lock: nothing more is shown
            self._owed = {}
            return
        for owed in [page] if page is not None else list(self._owed):
            fill = self._owed.pop(owed, None)
            if fill is not None:
                fill()

    def _on_owed_timer_timeout(self) -> None:
        self._pay_owed()

    def _on_profile_view_applyRequested(self, key: str) -> None:
        from app.gui.profile_widgets import apply_proposal

        if self.partner is not None and self.partner.id is not None:
            apply_proposal(self.controller.vault, self.partner.id, key)
            self.show_partner(self.partner.id)

    def _show_health(self, health: Health) -> None:
        """The worst finding as title, every finding's reason and fix below (or hidden)."""
        if not health.findings or health.level == "ok":
            self.health_banner.hide()
            return
        worst = health.findings[0]
        level = {"failing": "error", "warning": "warning"}.get(health.level, "info")
        title = {
            "failing": "Not working",
            "warning": "Needs attention",
        }.get(health.level, "Not confirmed")
        reasons = " ".join(f.message for f in health.findings)
        fixes = " ".join(dict.fromkeys(f.hint for f in health.findings if f.hint))
        heading = f"{title}: {worst.label}" if worst.label else title
        self.health_banner.show_message(level, heading, reasons, fixes)

    def show_offers(self, retry: bool, resume: bool, forget: bool) -> None:
        """Which of Retry / Resume / Forget this row offers (buttons in the health banner)."""
        self._offers = (retry, resume, forget)
        if not self.built:
            return
        self.retry_button.setVisible(retry)
        self.resume_button.setVisible(resume)
        self.forget_button.setVisible(forget)

    def refresh(self) -> None:
        self.show_partner(self._wanted_id())

    def _wanted_id(self) -> int | None:
        """The partner a refresh shows: one asked for with show_partner_soon, else the one
        shown (None: the placeholder)."""
        if self._next is not None:
            return self._next[0]
        return self.partner.id if self.partner else None

    def show_partner_soon(self, partner_id: int | None) -> None:
        """Show `partner_id` on a later turn (refresh_soon's), not inside the turn that
        chose it: for a selection a refresh of the rows moved (a re-registration's
        replaced row handing over to the new one), drawn beside the list's own work."""
        self._next = (partner_id,)
        self.refresh_soon()

    def refresh_soon(self) -> None:
        """Refresh on a later turn of the loop, once however often asked before it.

        A run's events, its end and a wizard's Finish each asked for a refresh of the
        partner shown, two or three in one turn (4-7 ms each, plus the detail's repaint:
        20-35 ms stalls, issue 13). Any `show_partner` in between serves the request.
        LATER_MS, not 0: a zero timer runs on the very next turn, beside the repaint of
        what asked it (the list's, the wizard's) and before other timers already due.

        The vault is read on that turn and the detail drawn from it on the next (a zero
        timer): the read (its record, health, tokens, runs: ~1 ms of a 2-6 ms refresh)
        no longer shares a turn with the drawing and the repaint that follows it
        (issue 13: a handshake's worst stall was one such refresh and its repaint). A
        `show_partner` in between reads afresh and drops this read, and so does a new
        request (its read comes later: a newer partner asked, or newer facts)."""
        self._drop_read()
        if self._refresh_timer is None:
            self._refresh_timer = _single_shot(self, LATER_MS, self._on_refresh_timer_timeout)
        self._refresh_timer.start()

    def _on_refresh_timer_timeout(self) -> None:
        if self.controller.vault.closed:  # asked just before the vault closed (quit, lock)
            return
        partner_id = self._wanted_id()
        if partner_id is None:  # nothing to read: the placeholder, now
            self.refresh()
            self.redrawnLater.emit()
            return
        self._read = self.read_partner(partner_id)
        if self._draw_timer is None:
            self._draw_timer = _single_shot(self, 0, self._on_draw_timer_timeout)
        self._draw_timer.start()

    def _on_draw_timer_timeout(self) -> None:
        read, self._read = self._read, None
        if read is None or self.controller.vault.closed:
            return
        self.show_partner(read.partner_id, read, drawn_later=True)
        self.redrawnLater.emit()

    def _drop_read(self) -> None:
        self._read = None
        if self._draw_timer is not None:
            self._draw_timer.stop()

    def refresh_pending(self) -> bool:
        """A refresh asked with refresh_soon is still to be read or drawn (a hidden tab too)."""
        timers = (self._refresh_timer, self._draw_timer)
        return any(t is not None and t.isActive() for t in timers) or bool(self._owed)

    @staticmethod
    def _roles_detail(partner: PartnerRecord) -> str:
        parts = []
        for role in partner.roles:
            name = (role.get("business_details") or {}).get("name", "")
            who = f"{role.get('country_code', '')}-{role.get('party_id', '')}"
            parts.append(f"{role.get('role', '?')} ({who}{', ' + name if name else ''})")
        return "; ".join(parts) or roles_text(partner) or "—"

    def _fill_endpoints(self, partner: PartnerRecord) -> None:
        rows = [
            tuple(str(endpoint.get(key) or "") for key in ("identifier", "role", "url"))
            for endpoint in partner.endpoints
        ]
        if rows == self._endpoint_rows:  # a refresh with nothing new: no refill, no resize
            return
        self._endpoint_rows = rows
        self.endpoints.setRowCount(len(rows))
        for row, values in enumerate(rows):
            for col, text in enumerate(values):
                item = url_item(text) if col == 2 else QTableWidgetItem(text)
                if col == 2:
                    item.setFont(mono_font())
                self.endpoints.setItem(row, col, item)
        self.endpoints.resizeColumnsToContents()

    def _fill_credentials(self, records: list[CredentialRecord]) -> None:
        selected = self.selected_credential()
        if self.credentials_model.keep_if_same(records):  # nothing new on screen: no refill
            return
        self.credentials_model.set_credentials(records)
        self.credentials.resizeColumnsToContents()
        # Used · ended, the stretched last column, falls back to a width of its own where
        # the table is narrower than its columns (at 1024 px): 100 px, below its bold
        # header's 106, so scrolled into view it read "Used · en…". Stretching it again
        # keeps the width it has at that moment as that fallback: its contents' width.
        header = self.credentials.horizontalHeader()
        header.setStretchLastSection(False)
        self.credentials.resizeColumnToContents(self.credentials_model.columnCount() - 1)
        header.setStretchLastSection(True)
        if selected is not None:
            for row in range(self.credentials_model.rowCount()):
                if self.credentials_model.record(row).id == selected.id:
                    self.credentials.selectRow(row)
        self._update_token_buttons()

    def _fill_history(self, runs: list[RunRecord]) -> None:
        """The history table from `runs` (newest first)."""
        self._history_runs = runs
        rows: list[tuple[tuple[str, ...], str]] = []
        for run in runs:
            diagnosis = run.diagnosis or {}
            code = str(diagnosis.get("code", ""))
            message = history_message(diagnosis)
            tip = ""
            if code:  # plain words first; the code for support, on hover
                hint = str(diagnosis.get("hint", ""))
                tip = f"{message}\n{hint}\n({code})".replace("\n\n", "\n")
            cells = (
                short_time(run.created),
                kind_words(run),
                outcome_words(run),
                run.state,
                message,
            )
            rows.append((cells, tip))
        if rows == self._history_rows:  # a refresh with nothing new: no refill, no resize
            return
        self._history_rows = rows
        self.history.setRowCount(len(rows))
        for row, (texts, tip) in enumerate(rows):
            for col, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if col == 4 and tip:
                    item.setToolTip(tip)
                self.history.setItem(row, col, item)
        self.history.resizeColumnsToContents()

    def runs(self) -> list[RunRecord]:
        return list(self._runs)

    def selected_run(self) -> str | None:
        if not self.built:
            return None
        self._pay_owed(self.history)  # the table of the partner shown, not the last one
        rows = {index.row() for index in self.history.selectedIndexes()}
        return self._history_runs[min(rows)].id if rows else None

    # ---- tokens -------------------------------------------------------------------------------
    def selected_credential(self) -> CredentialRecord | None:
        if not self.built:
            return None
        rows = self.credentials.selectionModel().selectedRows()
        return self.credentials_model.record(rows[0].row()) if rows else None

    def _update_token_buttons(self) -> None:
        has = self.selected_credential() is not None
        self.reveal_button.setEnabled(has)
        self.copy_button.setEnabled(has)

    def _on_credentials_selectionChanged(
        self, _selected: QItemSelection, _deselected: QItemSelection
    ) -> None:
        self.hide_revealed()
        self._update_token_buttons()

    def _reveal_selected(self, action: str = "reveal") -> str | None:
        cred = self.selected_credential()
        if cred is None:
            return None
        try:
            return self.controller.reveal(cred.id, action).reveal()
        except OnboardingError as exc:
            show_error(exc.diagnosis, self)
            return None

    def _on_reveal_button_clicked(self) -> None:
        if self.revealed.isVisible():
            self.hide_revealed()
            return
        value = self._reveal_selected()
        if value is None:
            return
        self.revealed.setText(value)
        self.revealed.show()
        self.reveal_button.setText("Hi&de")  # Alt+H is the Help menu
        self.note.setText(SHOWN_NOTE)
        self._hide_timer.start(REVEAL_MS)
        self._into_view(self.note)

    def hide_revealed(self) -> None:
        self._hide_timer.stop()
        if not self.built:
            return
        self.revealed.clear()
        self.revealed.hide()
        self.reveal_button.setText("&Reveal")
        if self.note.text() == SHOWN_NOTE:  # it said so on, the value long hidden
            self.note.setText(TOKEN_NOTE)

    def _on_copy_button_clicked(self) -> None:
        cred = self.selected_credential()
        value = self._reveal_selected("copy")
        if value is None or cred is None:
            return
        self.clipboard.copy_secret(value)
        self.note.setText(
            f"{cred.fingerprint} copied; the clipboard is cleared in "
            f"{self.clipboard.clear_after_ms // 1000} s."
        )
        self._into_view(self.note)

    def _into_view(self, widget: QWidget) -> None:
        """What Reveal or Copy just said comes into view: Alt+R (a button's letter clicks it
        where it is, out of sight or not) showed a token below the detail's fold for its
        30 s, and nothing seemed to happen."""
        QTimer.singleShot(0, self, lambda: self.detail_scroll.ensureWidgetVisible(widget, 0, 8))

    def _on_clipboard_cleared(self) -> None:
        self.note.setText("The clipboard was cleared.")

    def _on_tabs_currentChanged(self, _index: int) -> None:
        """A tab picked (Alt+L, a click) is brought into view, its bar at the top, when
        part of it is below the detail's fold: at 1024x700 with a banner, Alt+L switched
        to the Health tab entirely out of sight, and nothing seemed to happen. A tab a
        background refresh left to fill is filled first, before its first paint."""
        self._pay_owed(self.tabs.currentWidget())
        bar = self.detail_scroll.verticalScrollBar()
        top = self.tabs.mapTo(self._detail_page, QPoint(0, 0)).y()
        if top + self.tabs.height() > bar.value() + self.detail_scroll.viewport().height():
            bar.setValue(top)

    def _on_history_itemSelectionChanged(self) -> None:
        run_id = self.selected_run()
        if run_id:
            self.runSelected.emit(run_id)

    # ---- results of operations -------------------------------------------------------------------
    def show_result(self, title: str, text: str, level: str = "ok") -> None:
        self.build_detail()
        self.banner.show_message(level, title, text)
        self._into_view(self.banner)

    def show_diagnosis(self, diagnosis: Diagnosis, title: str) -> None:
        """An outcome comes into view: asked from the Health tab (the detail scrolled to
        it), a failed rotation said so above the fold, unseen (session 24 walk)."""
        self.build_detail()
        self.banner.show_diagnosis(diagnosis, title)
        self._into_view(self.banner)
