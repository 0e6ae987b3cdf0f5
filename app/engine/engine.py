"""The engine: composes the HTTP driver, our endpoint and the vault into user operations.

Qt-free. The CLI awaits it on asyncio.run; the GUI controller awaits it on the qasync loop.
Every run is written to the vault before each side effect (docs/architecture.md, "Crash
points") and recorded, redacted, in one transcript that the vault stores and listeners see.
The state lives in `EngineContext` (app/engine/context.py); each operation is a function of
a sibling module over that context, imported by the method that runs it: starting the
engine and our endpoint loads neither httpx nor pydantic (issue 13, target 1: memory); the
first operation does. No module imports this one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import app.core.tokens as core_tokens
from app.callback.receiver import ReceiverHooks
from app.core.ocpi import SUPPORTED_VERSIONS
from app.core.profile import Profile
from app.core.tokens import Secret, TokenRole
from app.engine.context import (
    EngineContext,
    EntrySink,
    EventSink,
    crash_point,
    internal_failure,
    peer_key,
)
from app.engine.receiver_hooks import VaultReceiverHooks
from app.engine.results import Invitation, RunResult

if TYPE_CHECKING:
    from app.engine.register import Registration
    from app.engine.verify_checks import VerifyReport

__all__ = ["Engine", "EntrySink", "EventSink", "crash_point", "internal_failure", "peer_key"]


class Engine(EngineContext):
    """User-level OCPI operations over one vault; owns our embedded endpoint.

    `on_event`/`on_entry` see every run's events and transcript entries (the CLI prints
    them); `on_run` is the typed, run-scoped progress channel (app/engine/progress.py) the
    GUI follows.
    """

    def _receiver_hooks(self) -> ReceiverHooks:
        return VaultReceiverHooks(self)

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ---- Sender ------------------------------------------------------------------------
    def registration(
        self,
        versions_url: str,
        token_a: Secret,
        *,
        ocpi_version: str | None = None,
        token_encoding: str | None = None,
        verify: bool = True,
        profile: Profile | None = None,
    ) -> Registration:
        """A registration to drive step by step: `discover()`, then `register()`."""
        from app.engine.register import Registration

        return Registration(
            self,
            versions_url,
            token_a,
            ocpi_version=ocpi_version,
            token_encoding=token_encoding,
            verify=verify,
            profile=profile,
        )

    async def register(
        self,
        versions_url: str,
        token_a: Secret,
        *,
        ocpi_version: str | None = None,
        token_encoding: str | None = None,
        verify: bool = True,
        profile: Profile | None = None,
    ) -> RunResult:
        reg = self.registration(
            versions_url,
            token_a,
            ocpi_version=ocpi_version,
            token_encoding=token_encoding,
            verify=verify,
            profile=profile,
        )
        return await reg.run()

    # ---- Receiver ----------------------------------------------------------------------
    async def invite(self, token_a: Secret | None = None) -> Invitation:
        from app.engine import invite

        return await invite.invite(self, token_a)

    async def wait_for_registration(
        self, invitation: Invitation, timeout: float | None
    ) -> RunResult:
        from app.engine import invite

        return await invite.wait_for_registration(self, invitation, timeout)

    # ---- registered partners -----------------------------------------------------------
    async def rotate(self, ref: int | str, token_a: Secret | None = None) -> RunResult:
        """PUT, or DELETE and a new registration (the profile's rotation, or a TOKEN_A);
        refused at once, as check and verify, for a sandbox partner whose sandbox is gone
        ("sandbox not running", not "could not connect ... the firewall")."""
        from app.engine import reregister

        self.refuse_gone_sandbox(ref)
        return self.finished(await reregister.rotate_as_profiled(self, ref, token_a))

    async def unregister(self, ref: int | str) -> RunResult:
        from app.engine import manage

        return self.finished(await manage.unregister(self, ref))

    async def check(self, ref: int | str) -> RunResult:
        from app.engine import manage

        return self.finished(await manage.check_served(self, ref))

    async def check_drift(self, ref: int | str, accept_drift: bool = False) -> RunResult:
        """check, then (accept_drift) re-baseline or upgrade (app/engine/drift_check.py)."""
        from app.engine import drift_check

        return self.finished(await drift_check.check_partner(self, ref, accept_drift))

    async def verify(self, ref: int | str, probe_auth: bool = False) -> VerifyReport:
        """A read-only conformance run (app/engine/verify.py)."""
        from app.engine import verify as verify_run

        self.refuse_gone_sandbox(ref)
        return await verify_run.verify(self, ref, probe_auth)

    async def recover(self, run_id: str, action: str) -> RunResult:
        from app.engine import recovery

        return self.finished(await recovery.recover(self, run_id, action))

    # ---- sandbox -----------------------------------------------------------------------
    async def warm_up(self) -> bool:
        """Load ahead, on threads, what the session's first handshake loads: the sandbox
        partner's modules and the first client's TLS context for these settings
        (app/engine/warm.py). The window asks once its start has settled. What fails here
        (a CA bundle that cannot be read) fails again at the first call, which says why:
        not reported twice. Returns whether all of it is ready."""
        from app.engine.warm import warm_first_call

        try:
            await warm_first_call(self.http_settings)
        except Exception:
            return False
        return True

    async def start_sandbox(
        self, fault: str = "none", version: str | None = None
    ) -> tuple[str, Secret]:
        """A sandbox partner on loopback for a first onboarding; stopped with the engine."""
        # looked up at call time: the canary tests replace the generator
        from app.sandbox import SandboxPartner  # aiohttp's server loads only when it serves

        token_a = Secret(core_tokens.generate_token(), TokenRole.A)
        versions = (version,) if version else SUPPORTED_VERSIONS
        sandbox = SandboxPartner(
            token_a, versions=versions, fault=fault, http_settings=self.http_settings
        )
        await sandbox.start()
        self._sandboxes.append(sandbox)
        return sandbox.versions_url, token_a
