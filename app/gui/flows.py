"""What the wizards show: the state of one Sender registration or one invitation.

A flow turns the controller's tasks and the run's typed progress (app/engine/progress.py:
steps with their state and token fingerprints, the partner's calls to our endpoints) into
state a page can render: a phase (what can be done next), a checklist of steps with details
(fingerprints only), the result or the diagnosis. Pages call its intents (discover,
register, issue, wait, cancel); the decisions and the steps themselves are the engine's.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from app.core.diagnosis import Diagnosis, diagnose
from app.core.inputs import normalise_token_input
from app.core.profile import Profile
from app.core.tokens import Secret, TokenRole
from app.engine import CallbackSettings, Discovery, Invitation, RunResult
from app.engine.progress import OurEndpoint, PartnerCalled
from app.engine.register import Registration
from app.engine.rows import token_a_sent
from app.gui.controller import Controller
from app.gui.flow_base import Flow, Phase, Step, StepState
from app.sandbox import DEMO_IDENTITY
from app.vault import PartnerRecord

__all__ = ["InviteFlow", "Phase", "SenderFlow", "Step", "StepState"]
_Flow = Flow  # the name wizard_base.py knows

SENDER_STEPS = (
    ("versions", "Fetch the partner's versions with TOKEN_A"),
    ("details", "Fetch the version details and negotiate"),
    ("token_b", "Generate TOKEN_B and store it in the vault"),
    ("post", "Send our credentials to the partner with TOKEN_A"),
    ("their_versions", "Partner fetches our versions"),
    ("their_details", "Partner fetches our version details"),
    ("token_c", "Receive TOKEN_C and store it; TOKEN_A is spent"),
    ("verify", "Verify the connection with TOKEN_C"),
)


class SenderFlow(Flow):
    """One registration as credentials Sender: discover, then register."""

    sandboxReady = Signal(str)  # the sandbox's versions URL (its TOKEN_A is in `sandbox_token`)

    def __init__(self, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(controller, parent)
        self.versions_url = ""
        self.token_a: Secret | None = None
        self.ocpi_version: str | None = None
        self.callback: CallbackSettings | None = None
        self.profile: Profile | None = None  # the partner type's profile
        self.sandbox_token: Secret | None = None
        self.sandbox_fault: str | None = None
        self._reg: Registration | None = None
        controller.runStarted.connect(self._on_controller_runStarted)
        self._input_key: tuple[Any, ...] | None = None
        self.discovery: Discovery | None = None
        self.result: RunResult | None = None
        self.failed_stage = ""
        # fingerprints of TOKEN_As that left with our credentials: never offered again
        self.spent_tokens: set[str] = set()
        self._reset_steps()

    def _reset_steps(self) -> None:
        self.steps = [Step(key, label) for key, label in SENDER_STEPS]
        if self.callback is not None and self.callback.mode == "external":
            self.step("token_b").label = "Check our platform's endpoint with TOKEN_B (pre-flight)"
            for key in ("their_versions", "their_details"):
                self.step(key).label += " (not visible: our platform serves it)"

    @property
    def embedded(self) -> bool:
        return self.callback is None or self.callback.mode == "embedded"

    # ---- intents ------------------------------------------------------------------------
    def start_sandbox(self, fault: str = "none") -> None:
        """Start a sandbox partner; `sandboxReady` when its URL and TOKEN_A are known."""
        self.sandbox_fault = fault

        async def work() -> tuple[str, Secret]:
            engine = await self.controller.engine()
            url, token = await engine.start_sandbox(fault=fault)
            return str(url), token

        def ready(value: tuple[str, Secret]) -> None:
            self.sandbox_token = value[1]
            self.sandboxReady.emit(value[0])

        self.controller.run("sandbox", work(), on_result=ready, on_error=self._fail)

    def set_input(
        self,
        versions_url: str,
        token_text: str,
        ocpi_version: str | None = None,
        callback: CallbackSettings | None = None,
        profile: Profile | None = None,
    ) -> None:
        self.versions_url = versions_url.strip()
        self.token_a = Secret(normalise_token_input(token_text), TokenRole.A)
        self.ocpi_version = ocpi_version or None
        self.callback = callback
        self.profile = profile

    def _key(self) -> tuple[Any, ...]:
        token = self.token_a.fingerprint if self.token_a else None
        cb = self.callback
        return (
            self.versions_url,
            token,
            self.ocpi_version,
            cb.mode if cb else "embedded",
            cb.own_versions_url if cb else None,
            cb.token_b.fingerprint if cb and cb.token_b else None,
            repr(self.profile),
        )

    def discover(self) -> None:
        """Fetch the partner's versions and details (skipped if already done for this input)."""
        if self.phase == Phase.READY and self._key() == self._input_key:
            self.changed.emit()
            return
        self._abandon()
        assert self.token_a is not None
        self.phase, self.diagnosis, self.discovery, self.result = Phase.BUSY, None, None, None
        self.confusions = []
        self._reset_steps()
        self._input_key = self._key()
        url, token, version, callback, profile = (
            self.versions_url,
            self.token_a,
            self.ocpi_version,
            self.callback,
            self.profile,
        )

        async def work() -> Discovery:
            engine = await self.controller.engine(callback)
            self._reg = engine.registration(url, token, ocpi_version=version, profile=profile)
            return await self._reg.discover()

        self.changed.emit()
        self.controller.run(
            "sender",
            work(),
            on_result=self._on_discovered,
            on_error=self._on_discover_failed,
            on_cancel=self._on_cancelled,
        )

    def live_twin(self) -> PartnerRecord | None:
        """A working registration this onboarding would replace (same URL; the sandbox's
        identity is known in advance), else None."""
        cc = pid = ""
        if self.sandbox_fault is not None:
            cc, pid = DEMO_IDENTITY["country_code"], DEMO_IDENTITY["party_id"]
        twin = self.controller.live_twin(self.versions_url, cc, pid)
        own = self._reg.partner_id if self._reg is not None else None
        return twin if twin is not None and twin.id != own else None

    def register(self) -> None:
        if self.phase in (Phase.RUNNING, Phase.DONE) or self._reg is None:
            return
        self.phase, self.diagnosis = Phase.RUNNING, None
        self.changed.emit()
        self.controller.run(
            "sender",
            self._reg.register(),
            on_result=self._on_registered,
            on_error=self._on_register_failed,
            on_cancel=self._on_cancelled,
        )

    def cancel(self) -> None:
        """Stop the network work; the engine leaves the vault consistent."""
        self.controller.cancel("sender")
        self.controller.cancel("sandbox")

    def close(self) -> None:
        """The wizard is closing: cancel, and close a run left open after discovery."""
        super().close()
        self.controller.runStarted.disconnect(self._on_controller_runStarted)
        self.cancel()
        if self.phase != Phase.BUSY and self.phase != Phase.RUNNING:
            self._abandon()

    def _abandon(self) -> None:
        reg, self._reg = self._reg, None
        if reg is not None and reg.run_id and self.phase != Phase.DONE:
            self.controller.cleanup_run(reg.run_id)
        if reg is not None:
            self.controller.run(f"cleanup:close:{id(reg)}", reg.aclose())

    # ---- task outcomes ---------------------------------------------------------------------
    def _on_discovered(self, discovery: Discovery) -> None:
        self.discovery = discovery
        self.phase = Phase.READY
        self.changed.emit()

    def _on_discover_failed(self, diagnosis: Diagnosis) -> None:
        self.failed_stage = "discover"
        self._input_key = None
        self._fail(diagnosis)

    def _on_registered(self, result: RunResult) -> None:
        self.result = result
        self._note_spent()
        if result.status != "registered":
            self.failed_stage = "register"
            self._fail(result.diagnosis or diagnose("internal", "registration failed"))
            return
        self.phase = Phase.DONE  # the steps' outcome came from the engine, with the run
        self.controller.partner_touched(result.partner_id)
        self.changed.emit()

    def _note_spent(self) -> None:
        """TOKEN_A left with our credentials (the run says "posted"): it is spent for us."""
        reg = self._reg
        run = self.controller.run_record(reg.run_id) if reg is not None and reg.run_id else None
        if run is not None and token_a_sent(run) and self.token_a is not None:
            self.spent_tokens.add(self.token_a.fingerprint)

    def _on_register_failed(self, diagnosis: Diagnosis) -> None:
        self.failed_stage = "register"
        self._note_spent()
        self._fail(diagnosis)
        self.controller.partner_touched(self._reg.partner_id if self._reg is not None else None)

    def _on_cancelled(self) -> None:
        self._note_spent()
        self._stop_running("cancelled")
        self.phase = Phase.IDLE if self.discovery is None else Phase.FAILED
        if self.phase == Phase.FAILED:
            self.diagnosis = diagnose("reg.cancelled")
            self.failed_stage = "register"
        self._input_key = None
        self.changed.emit()

    # ---- progress: the engine's typed events of this run ------------------------------------
    def _on_controller_runStarted(self, run_id: str, _kind: str) -> None:
        reg = self._reg
        if reg is not None and reg.run_id == run_id:
            self._adopt(run_id)

    def on_call(self, call: PartnerCalled) -> None:
        """The partner read our versions or details (with the TOKEN_B we gave it, we hope)."""
        key = {OurEndpoint.VERSIONS: "their_versions", OurEndpoint.DETAILS: "their_details"}
        step = self.step(key[call.endpoint]) if call.endpoint in key else None
        if step is None:
            return
        if 200 <= call.http_status < 300:
            step.set(StepState.DONE, f"with {call.token or 'no token'}")
        elif step.state != StepState.DONE:
            step.set(
                StepState.FAILED,
                f"refused (HTTP {call.http_status}): the partner presented {call.presented}",
            )


INVITE_STEPS = (
    ("issue", "Issue TOKEN_A and serve our versions endpoint"),
    ("their_read", "Partner reads our versions and details with TOKEN_A"),
    ("their_post", "Partner sends its credentials with TOKEN_A"),
    ("fetch_versions", "We fetch the partner's versions with its TOKEN_B"),
    ("fetch_details", "We fetch the partner's version details"),
    ("token_c", "We issue TOKEN_C and store everything; TOKEN_A is spent"),
)


class InviteFlow(Flow):
    """One invitation as credentials Receiver: issue TOKEN_A, wait, confirm."""

    DEFAULT_WAIT = 30 * 60.0

    def __init__(self, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(controller, parent)
        self.invitation: Invitation | None = None
        self.result: RunResult | None = None
        self.demo_result: RunResult | None = None
        self.steps = [Step(key, label) for key, label in INVITE_STEPS]

    def issue(self) -> None:
        if self.invitation is not None or self.phase == Phase.BUSY:
            return
        self.phase = Phase.BUSY
        self.step("issue").set(StepState.RUNNING)

        async def work() -> Invitation:
            engine = await self.controller.engine()
            invitation: Invitation = await engine.invite()
            return invitation

        self.changed.emit()
        self.controller.run("invite", work(), on_result=self._on_issued, on_error=self._fail)

    def wait(self, timeout: float | None = None) -> None:
        invitation = self.invitation
        if invitation is None or self.phase in (Phase.RUNNING, Phase.DONE):
            return
        self.phase, self.diagnosis = Phase.RUNNING, None
        step = self.step("their_read")
        if step.state == StepState.PENDING:
            step.set(StepState.RUNNING, "waiting for the partner")

        async def work() -> RunResult:
            engine = await self.controller.engine()
            result: RunResult = await engine.wait_for_registration(
                invitation, timeout or self.DEFAULT_WAIT
            )
            return result

        self.changed.emit()
        self.controller.run(
            "invite",
            work(),
            on_result=self._on_result,
            on_error=self._fail,
            on_cancel=self._on_wait_cancelled,
        )

    def let_demo_partner_register(self) -> None:
        """Sandbox path: a demo partner registers with this invitation."""
        invitation = self.invitation
        if invitation is None:
            return
        from app.engine.demo_sender import register_demo_sender

        # the demo partner lives only for this registration: mark the row as a sandbox one
        self.controller.mark_sandbox(invitation.run_id)

        def done(result: RunResult) -> None:
            self.demo_result = result
            if not result.ok and result.diagnosis is not None and self.phase != Phase.DONE:
                self._fail(result.diagnosis)

        self.controller.run(
            "demo-partner",
            register_demo_sender(
                invitation.versions_url, invitation.token_a, self.controller.settings.http()
            ),
            on_result=done,
            on_error=self._fail,
        )

    def stop_waiting(self) -> None:
        self.controller.cancel("invite")

    def close(self) -> None:
        """Wizard closing: stop waiting; an invitation nobody answered is revoked."""
        super().close()
        self.controller.cancel("invite")
        self.controller.cancel("demo-partner")
        if self.invitation is not None and self.phase != Phase.DONE:
            self.controller.cleanup_run(self.invitation.run_id)

    @property
    def token_fingerprint(self) -> str:
        return self.invitation.token_a.fingerprint if self.invitation else ""

    # ---- outcomes -------------------------------------------------------------------------
    def _on_issued(self, invitation: Invitation) -> None:
        self.invitation = invitation
        self._adopt(invitation.run_id)
        self.phase = Phase.READY
        self.step("issue").set(
            StepState.DONE, f"{invitation.token_a.fingerprint} · {invitation.versions_url}"
        )
        self.controller.partner_touched(invitation.partner_id)
        self.changed.emit()

    def _on_result(self, result: RunResult) -> None:
        self.result = result
        if result.status != "registered":
            self._fail(result.diagnosis or diagnose("reg.invite_timeout", "the wait"))
            return
        self.phase = Phase.DONE  # the steps' outcome came from the engine, with the run
        self.controller.partner_touched(result.partner_id)
        self.changed.emit()

    def _on_wait_cancelled(self) -> None:
        if self.phase == Phase.RUNNING:
            self.phase = Phase.READY
            self.changed.emit()

    def on_call(self, call: PartnerCalled) -> None:
        """The partner reads our endpoints and posts its credentials with our TOKEN_A."""
        ok = 200 <= call.http_status < 300
        token = call.token or "no token"
        kind = str(call.endpoint)
        if call.endpoint in (OurEndpoint.VERSIONS, OurEndpoint.DETAILS):
            step = self.step("their_read")
            if ok:
                done = call.endpoint == OurEndpoint.DETAILS
                step.set(StepState.DONE if done else StepState.RUNNING, f"{kind} with {token}")
            else:
                step.set(
                    StepState.WARNING, f"{kind} refused (HTTP {call.http_status}) with {token}"
                )
        elif call.endpoint == OurEndpoint.CREDENTIALS and call.method == "POST":
            self.step("their_post").set(
                StepState.DONE if ok else StepState.FAILED,
                f"with {token}: HTTP {call.http_status}",
            )
