"""Change notices on the team vault: PostgreSQL LISTEN/NOTIFY, delivered to a callback.

Triggers (installed by `TeamVault` on PostgreSQL only) send the partner id on channel
``ocpi_onboard`` whenever a partner, one of its tokens or one of its runs changes, whoever
wrote it. `ChangeListener` holds its own connection in a daemon thread and calls
``on_change(partner_id)``; the GUI controller turns that into a Qt signal (queued to the UI
thread), so the partners table follows a colleague's changes without polling and without
SQL in the GUI. Notices from the listener's own vault connection are skipped.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from app.vault.pgdb import NOTIFY_CHANNEL

NOTIFY_TRIGGER = "ocpv_notify_"

_FUNCTION = """CREATE OR REPLACE FUNCTION ocpv_notify_{name}() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE pid BIGINT;
BEGIN
  IF TG_OP = 'DELETE' THEN
    pid := OLD.{column};
  ELSE
    pid := NEW.{column};
  END IF;
  PERFORM pg_notify('{channel}', COALESCE(pid::text, ''));
  RETURN NULL;
END $$"""

NOTIFY_DDL: tuple[str, ...] = (
    _FUNCTION.format(name="by_id", column="id", channel=NOTIFY_CHANNEL),
    _FUNCTION.format(name="by_partner", column="partner_id", channel=NOTIFY_CHANNEL),
    *(
        statement
        for table, function in (
            ("partners", "by_id"),
            ("credentials", "by_partner"),
            ("runs", "by_partner"),
        )
        for statement in (
            f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER}{table} ON {table}",
            f"CREATE TRIGGER {NOTIFY_TRIGGER}{table} AFTER INSERT OR UPDATE OR DELETE"
            f" ON {table} FOR EACH ROW EXECUTE FUNCTION ocpv_notify_{function}()",
        )
    ),
)


class ChangeListener:
    """A thread that LISTENs on the team vault and calls `on_change(partner_id | None)`."""

    def __init__(
        self, url: str, on_change: Callable[[int | None], None], ignore_pid: int | None = None
    ) -> None:
        self._url = url
        self._on_change = on_change
        self._ignore_pid = ignore_pid
        self._stop = threading.Event()
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vault-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=3)

    def _run(self) -> None:
        import psycopg

        try:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10)
        except psycopg.Error:
            self.ready.set()
            return
        with contextlib.closing(conn):
            try:
                conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                self.ready.set()
                while not self._stop.is_set():
                    for notice in conn.notifies(timeout=0.2):
                        if notice.pid == self._ignore_pid:
                            continue
                        payload = notice.payload.strip()
                        self._on_change(int(payload) if payload.isdigit() else None)
            except psycopg.Error:
                return
            finally:
                self.ready.set()
