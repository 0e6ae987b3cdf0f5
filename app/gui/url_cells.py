"""Endpoint URLs in narrow table cells: shown short, whole on hover, whole when copied.

An endpoint URL (60-90 characters) is wider than the cells that show one at 1024 px: the
Health tab's drift table wrapped each over five lines or more, and the Endpoints tab cut
them at the right, where the module's path is, so every row read the same
"http://host:port/ocpi/2.3.0/…". A cell now shows the part that tells URLs apart (the
drift table: the path below the partner's own base, "…/2.3.0/locations", the URL before
above the URL after in one cell, twice a column's width; the Endpoints tab: both ends,
elided in the middle), its tooltip the whole URL, and Ctrl+C on the table copies the
selected rows' whole texts.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

FULL_TEXT_ROLE = Qt.ItemDataRole.UserRole + 1  # a cell's whole text, when it shows less
SHORT = "…/"  # what stands for the partner's base in a shortened URL


def partner_base(versions_url: str) -> str:
    """The partner's own base: its versions URL up to the last "/" of its path
    ("http://host:port/ocpi/" for ".../ocpi/versions"); "" without a scheme and host."""
    parts = urlsplit(versions_url)
    if not parts.scheme or not parts.netloc or "/" not in parts.path:
        return ""
    return versions_url[: versions_url.rfind("/") + 1]


def relative_url(url: str, base: str) -> str:
    """`url` below `base` as "…/rest"; any other text as it is (another host, a version)."""
    if base and url.startswith(base) and len(url) > len(base):
        return SHORT + url[len(base) :]
    return url


def url_item(url: str, base: str = "") -> QTableWidgetItem:
    """A cell that shows `url` below `base` short, with the whole URL as its tooltip and
    its copied text."""
    item = QTableWidgetItem(relative_url(url, base))
    item.setData(FULL_TEXT_ROLE, url)
    item.setToolTip(url)
    return item


def before_after_item(before: str | None, after: str | None, base: str = "") -> QTableWidgetItem:
    """A drift's two values in one cell, the earlier above ("—" for none), URLs below `base`
    short: "…/2.3.0/locations", "→ …/2.3.0/v2/locations". Tooltip and copy have them whole."""
    was, now = before or "—", after or "—"
    item = QTableWidgetItem(f"{relative_url(was, base)}\n→ {relative_url(now, base)}")
    item.setData(FULL_TEXT_ROLE, f"{was} → {now}")
    item.setToolTip(f"Before: {was}\nAfter: {now}")
    return item


def full_text(item: QTableWidgetItem | None) -> str:
    if item is None:
        return ""
    whole = item.data(FULL_TEXT_ROLE)
    return str(whole) if whole else item.text()


def selected_rows_text(table: QTableWidget) -> str:
    """The selected rows' whole texts: a tab between cells, a line per row."""
    rows = sorted({index.row() for index in table.selectedIndexes()})
    return "\n".join(
        "\t".join(full_text(table.item(row, col)) for col in range(table.columnCount()))
        for row in rows
    )


def copy_rows_on_ctrl_c(table: QTableWidget) -> None:
    """Ctrl+C (the platform's Copy) on `table` puts its selected rows, whole, on the
    clipboard (URLs are not secrets: no timed clear)."""

    shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Copy), table)
    shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
    shortcut.activated.connect(lambda: _copy_rows(table))  # a connection keeps the lambda


def _copy_rows(table: QTableWidget) -> None:
    text = selected_rows_text(table)
    if text:
        QGuiApplication.clipboard().setText(text)
