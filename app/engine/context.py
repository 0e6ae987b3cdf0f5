"""What every engine operation runs on: the vault, our identity and endpoint, HTTP settings,
one recorder per run, and the run-scoped progress channel.

The leaf of `app/engine`'s operations: register, invite, manage, recovery, verify ... take an
`EngineContext` and import it from here; `app/engine/engine.py` builds one (the `Engine`)
and imports the operations at its top. So there is no import circle, and no operation
reaches into another's private state.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from app.callback.receiver import ReceiverHooks, ReceiverService
from app.callback.tokenbook import TokenBook
from app.core.diagnosis import OnboardingError, fail
from app.core.events import Event
from app.core.http import HttpSettings
from app.core.ocpi import SUPPORTED_VERSIONS
from app.core.tokens import Secret, TokenRole
from app.core.vocabulary import OurParty
from app.engine.health import is_sandbox, sandbox_served
from app.engine.progress import Channel, RunSink
from app.engine.recorder import RunRecorder
from app.engine.restore import RegisteredRestore, TurnBudget
from app.engine.restore import peer_key as peer_key  # the operations import it from here
from app.engine.results import CallbackSettings, Identity, RunResult
from app.vault import CredentialRecord, Direction, PartnerRecord, TokenState, Vault
from app.vault.facts import latest_runs

if TYPE_CHECKING:  # aiohttp's server side loads only when we serve (issue 13)
    from app.callback.server import CallbackServer, CallRecord

EventSink = Callable[[Event], None]
EntrySink = Callable[[dict[str, Any]], None]

KILL_AT_ENV = "OCPI_ONBOARD_KILL_AT"
MAX_UNATTRIBUTED_PER_RUN = 25


def import_endpoint() -> None:
    """Import our endpoint's server side (aiohttp.web) before `start` needs it: the CLI does
    it while the vault's key is derived in a thread (app/cli/unlock_ahead.py). (The window
    leaves aiohttp to the first call: `CallbackServer.start` only listens.)"""
    import aiohttp.web  # noqa: F401

    import app.callback.server  # noqa: F401


def crash_point(name: str) -> None:
    """Fault injection for the crash-safety tests: die by SIGKILL at a named step.

    Only active when OCPI_ONBOARD_KILL_AT names this step; the tests set it in a subprocess
    to prove that a run killed at any step reopens consistently.
    """
    if os.environ.get(KILL_AT_ENV) == name:
        sys.stdout.write(f"KILLED AT {name}\n")
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def partner_id_of(key: str) -> int:
    return int(key.split(":", 1)[1])


def internal_failure(exc: BaseException) -> OnboardingError:
    """An unexpected exception as a diagnosis naming only its type (no message: it could
    carry a value)."""
    return fail("internal", type(exc).__name__)


class EngineContext:
    """The narrow state operations share; `Engine` adds the user-level methods."""

    def __init__(
        self,
        vault: Vault,
        identity: Identity,
        *,
        http: HttpSettings | None = None,
        callback: CallbackSettings | None = None,
        on_event: EventSink | None = None,
        on_entry: EntrySink | None = None,
        on_run: RunSink | None = None,
        required_modules: tuple[str, ...] = (),
        versions: tuple[str, ...] = SUPPORTED_VERSIONS,
    ) -> None:
        self.vault = vault
        self.identity = identity
        self.http_settings = http or HttpSettings()
        self.callback_settings = callback or CallbackSettings()
        self.on_event = on_event
        self.on_entry = on_entry
        self.channel = Channel(on_run)
        self.required_modules = required_modules
        self.versions = versions
        self.tokens = TokenBook()
        self.us = OurParty(identity.credentials_roles(), "http://127.0.0.1/ocpi/versions")
        self.receiver = ReceiverService(
            self.tokens,
            self.us,
            self.http_settings,
            required_modules,
            hooks=self._receiver_hooks(),
        )
        self.server: CallbackServer | None = None
        self._recorders: dict[str, RunRecorder] = {}
        # invitations being waited for: peer key -> future resolved with the partner id
        self.invite_waiters: dict[str, asyncio.Future[int]] = {}
        self._sandboxes: list[Any] = []
        self._started = False
        self._restore: RegisteredRestore | None = None

    # ---- lifecycle ---------------------------------------------------------------------

    def _receiver_hooks(self) -> ReceiverHooks | None:
        """What our endpoint tells when a partner registers with us; `Engine` records it in
        the vault, a bare context (the operations' view) has no hooks."""
        return None

    async def start(self) -> None:
        """Start our embedded endpoint (embedded mode); registered partners' tokens are
        restored before the first call is answered or the first operation touches them."""
        if self._started:
            return
        settings = self.callback_settings
        if settings.mode == "client":
            # Only calls out (check, verify): no endpoint, so no partner can call in.
            self._started = True
            return
        # Restoring decrypts every registered partner's tokens: it loads the vault's cipher
        # (`cryptography`, ~8 MiB), which the window's start does not need (issue 13).
        self._restore = RegisteredRestore(self.vault, self.receiver)
        self.tokens.load_later(self._restore.rest)
        if settings.mode == "embedded":
            from app.callback.server import CallbackServer, ServerConfig

            self.server = CallbackServer(
                self.tokens,
                self.receiver,
                ServerConfig(
                    host=settings.listen_host,
                    port=settings.listen_port,
                    public_url=settings.public_url,
                    versions=self.versions,
                    ssl_context=settings.ssl_context,
                ),
            )
            self.server.before_serving = self._before_serving
            await self.server.start()
            self.server.subscribe(self._on_inbound)
            self.us.versions_url = self.server.versions_url
        else:
            if not settings.own_versions_url:
                raise fail("reg.preflight_failed", "no versions URL given for our platform")
            self.us.versions_url = settings.own_versions_url
        self._started = True

    async def aclose(self) -> None:
        self.flush_records()
        for sandbox in self._sandboxes:
            with contextlib.suppress(Exception):
                await sandbox.stop()
        self._sandboxes.clear()
        if self.server is not None:
            await self.server.stop()
            self.server = None
        self._started = False

    @property
    def our_versions_url(self) -> str:
        return self.us.versions_url

    @property
    def embedded(self) -> bool:
        return self.callback_settings.mode == "embedded"

    async def _before_serving(self) -> None:
        """Our endpoint's first call: the registered partners' tokens are restored before it
        is answered, so a partner calling with its TOKEN_C right after start is accepted.
        The cipher's module is imported on a thread first (beside aiohttp's); the decrypts
        themselves read the vault, whose connection belongs to this thread."""
        if not self.tokens.pending:
            return
        from app.callback.server import import_on_thread

        await import_on_thread("app.vault.crypto")
        # A vault that fails here (a tampered token) fails again at the first call or
        # operation that needs the book, which then says so; the endpoint still serves.
        with contextlib.suppress(Exception):
            self.tokens.ready()

    async def restore_ahead(self, slice_size: int | None = None) -> int:
        """Restore the registered partners' tokens now, a slice of partners per turn of the
        loop (the window calls this once its start has settled: done at the first call in,
        it stopped the loop ~90 ms at 2,000 partners): `slice_size` partners a turn, or by
        default as many as fit a turn's budget on this machine (`TurnBudget`). Until the
        last slice the book stays pending: a use before then (a call in, an operation) does
        the rest at once, and the slices stop. A vault that fails (a tampered token) leaves
        the book pending, as at the first call: the next use says why. Returns the slices
        restored here."""
        restore = self._restore
        if restore is None or not self.tokens.pending:
            return 0
        from app.callback.server import import_on_thread

        await import_on_thread("app.vault.crypto")  # as at the first call: off the loop
        before = restore.slices
        budget = TurnBudget()
        size = slice_size or budget.first
        # A vault that fails leaves the book pending (`fill_part`): its next use raises.
        with contextlib.suppress(Exception):
            if not self.tokens.pending:  # used while the cipher loaded: done
                return 0
            ids = restore.plan()
            await asyncio.sleep(0)
            start = 0
            while start < len(ids):
                began = time.perf_counter()
                if not self.tokens.fill_part(partial(restore.some, ids[start : start + size])):
                    break  # a use did the rest
                start += size
                if slice_size is None:
                    size = budget.next(size, time.perf_counter() - began)
                await asyncio.sleep(0)
            else:
                if self.tokens.fill_part(restore.invitations):
                    self.tokens.loaded()
        return restore.slices - before

    # ---- recorders and inbound calls ---------------------------------------------------
    def recorder(
        self,
        run_id: str,
        key: str | None,
        secrets: list[Secret] | None = None,
        *,
        kind: str = "",
        partner_id: int | None = None,
    ) -> RunRecorder:
        """The recorder of a new run; announces run_started on the progress channel."""
        recorder = RunRecorder(
            self.vault, run_id, self.on_event, self.on_entry, secrets, channel=self.channel
        )
        if key is not None:
            self._recorders[key] = recorder
        self.channel.started(run_id, kind, partner_id)
        return recorder

    def recorder_for(self, key: str) -> RunRecorder | None:
        """The recorder of the run in progress with this partner, if any."""
        return self._recorders.get(key)

    def release(self, key: str | None) -> None:
        if key is not None:
            recorder = self._recorders.pop(key, None)
            if recorder is not None:
                recorder.flush()

    def finished(self, result: RunResult) -> RunResult:
        """Announce run_finished (once per run) and hand the result back."""
        self.channel.finished(result)
        return result

    def flush_records(self) -> None:
        """Write every buffered transcript entry of the runs in progress to the vault."""
        for recorder in list(self._recorders.values()):
            with contextlib.suppress(Exception):
                recorder.flush()

    def _on_inbound(self, call: CallRecord) -> None:
        if call.peer is not None and call.peer in self._recorders:
            self._recorders[call.peer].inbound(call)
        elif call.peer is None:
            # A call we cannot attribute may be the partner erring (worth seeing in the run)
            # or anyone scanning the endpoint: each run records a bounded number of them.
            for recorder in list(self._recorders.values()):
                if recorder.unattributed < MAX_UNATTRIBUTED_PER_RUN:
                    recorder.unattributed += 1
                    recorder.inbound(call)

    def discovery_calls(self, key: str, since: float) -> set[str]:
        """Which of our endpoints the partner fetched, accepted, since a moment."""
        if self.server is None:
            return set()
        return {c.kind for c in self.server.calls if c.peer == key and c.accepted and c.at >= since}

    # ---- partners ----------------------------------------------------------------------
    def partner(self, ref: int | str) -> PartnerRecord:
        return self.vault.partner(ref)

    def outbound_token(self, partner: PartnerRecord) -> tuple[int, Secret]:
        assert partner.id is not None
        active = self.vault.tokens(
            partner.id, direction=Direction.OUTBOUND, state=TokenState.ACTIVE
        )
        active = [c for c in active if c.role != TokenRole.A]
        if not active:
            raise fail("vault.no_token_c", partner.ref)
        cred = active[-1]
        return cred.id, self.vault.reveal(cred.id).with_role(cred.role)

    def inbound_record(self, partner: PartnerRecord) -> CredentialRecord | None:
        """The active token the partner presents to us (its record: no decryption)."""
        assert partner.id is not None
        active = self.vault.tokens(partner.id, direction=Direction.INBOUND, state=TokenState.ACTIVE)
        active = [c for c in active if c.role != TokenRole.A]
        return active[-1] if active else None

    def inbound_token(self, partner: PartnerRecord) -> tuple[int, Secret] | None:
        cred = self.inbound_record(partner)
        if cred is None:
            return None
        return cred.id, self.vault.reveal(cred.id).with_role(cred.role)

    def forget_partner(self, partner_id: int) -> None:
        """Our endpoint stops accepting this partner's tokens (a row forgotten, an
        invitation abandoned); what its run recorded since the last state is stored."""
        self.receiver.forget(peer_key(partner_id))
        self.release(peer_key(partner_id))

    # ---- sandboxes -----------------------------------------------------------------------
    def running_sandboxes(self) -> list[str]:
        """Versions URLs of the sandbox partners this engine serves right now."""
        return [sandbox.versions_url for sandbox in self._sandboxes]

    def sandbox_at(self, versions_url: str) -> Any | None:
        """The sandbox partner this engine serves at that versions URL (a SandboxPartner:
        what it received, e.g. the requests a slow one holds), or None."""
        return next((s for s in self._sandboxes if s.versions_url == versions_url), None)

    def sandbox_gone(self, partner: PartnerRecord) -> bool:
        """A sandbox partner whose sandbox this engine does not serve (any more)."""
        assert partner.id is not None
        runs = latest_runs(self.vault, [partner.id]).get(partner.id, {})
        return is_sandbox(runs) and not sandbox_served(partner, runs, self.running_sandboxes())

    def refuse_gone_sandbox(self, ref: int | str) -> None:
        """Say plainly that the sandbox is gone, instead of letting a refused connection
        read as "the partner's platform is down"."""
        partner = self.vault.partner(ref)
        if self.sandbox_gone(partner):
            raise fail("sandbox.not_running", partner.versions_url or partner.ref)
