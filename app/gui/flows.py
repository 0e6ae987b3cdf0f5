"""What the wizards show: the state of one Sender registration or one invitation.

A flow turns the controller's tasks and the run's transcript entries into state a page can
render: a phase (what can be done next), a checklist of steps with details (fingerprints
only), the result or the diagnosis. Pages call its intents (discover, register, issue,
wait, cancel); the decisions themselves are the engine's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.core.diagnosis import Diagnosis, diagnose
from app.core.inputs import normalise_token_input
from app.core.tokens import Secret, TokenRole
from app.engine import CallbackSettings, Discovery, Invitation, RunResult
from app.engine.rows import token_a_sent
from app.gui import entries as E
from app.gui.controller import Controller
from app.sandbox import DEMO_IDENTITY
from app.vault import PartnerRecord


class Phase(StrEnum):
    IDLE = "idle"
    BUSY = "busy"  # discovering / issuing
    READY = "ready"  # discovered / issued
    RUNNING = "running"  # registering / waiting for the partner
    DONE = "done"
    FAILED = "failed"


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"


@dataclass
class Step:
    key: str
    label: str
    state: StepState = StepState.PENDING
    detail: str = ""

    def set(self, state: StepState, detail: str | None = None) -> None:
        self.state = state
        if detail is not None:
            self.detail = detail


class _Flow(QObject):
    changed = Signal()

    def __init__(self, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.phase = Phase.IDLE
        self.diagnosis: Diagnosis | None = None
        self.run_id: str | None = None
        self.steps: list[Step] = []
        self.confusions: list[dict[str, Any]] = []  # token mix-ups seen in this run
        controller.entryAdded.connect(self._on_controller_entryAdded)

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)

    def _on_controller_entryAdded(self, run_id: str, entry: dict[str, Any]) -> None:
        if run_id and run_id == self.run_id:
            diagnosis = E.diagnosis_of(entry)
            codes = {seen.get("code") for seen in self.confusions}
            if (
                diagnosis
                and diagnosis.get("token_confusion")
                and diagnosis.get("code") not in codes
            ):
                self.confusions.append(diagnosis)
            self.on_entry(entry)
            self.changed.emit()

    def on_entry(self, entry: dict[str, Any]) -> None:  # pragma: no cover - overridden
        pass

    def close(self) -> None:
        """The wizard is gone: stop following entries (tasks may still finish)."""
        self.controller.entryAdded.disconnect(self._on_controller_entryAdded)
        if self.run_id is not None:
            self.controller.owned_runs.discard(self.run_id)

    def _fail(self, diagnosis: Diagnosis) -> None:
        self.phase = Phase.FAILED
        self.diagnosis = diagnosis
        self._stop_running(diagnosis.message)
        self.changed.emit()

    def _stop_running(self, reason: str) -> None:
        """The first running step failed with `reason`; the others were not reached."""
        first = True
        for step in self.steps:
            if step.state != StepState.RUNNING:
                continue
            if first:
                step.set(StepState.FAILED, reason)
                first = False
            else:
                step.set(StepState.SKIPPED, "not reached")


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


class SenderFlow(_Flow):
    """One registration as credentials Sender: discover, then register."""

    sandboxReady = Signal(str)  # the sandbox's versions URL (its TOKEN_A is in `sandbox_token`)

    def __init__(self, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(controller, parent)
        self.versions_url = ""
        self.token_a: Secret | None = None
        self.ocpi_version: str | None = None
        self.callback: CallbackSettings | None = None
        self.profile: Any = None  # the partner type's profile (app.core.profile.Profile)
        self.sandbox_token: Secret | None = None
        self.sandbox_fault: str | None = None
        self._reg: Any = None
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
        profile: Any = None,
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
        self.step("versions").set(StepState.RUNNING)
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
            discovery: Discovery = await self._reg.discover()
            return discovery

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
        self.step("token_b").set(StepState.RUNNING)
        reg = self._reg

        async def work() -> RunResult:
            result: RunResult = await reg.register()
            return result

        self.changed.emit()
        self.controller.run(
            "sender",
            work(),
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
        for key in ("versions", "details"):
            self.step(key).set(StepState.DONE)
        if discovery.chosen_version:
            self.step("details").detail = f"negotiated OCPI {discovery.chosen_version}"
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
        self.phase = Phase.DONE
        self.step("token_c").set(StepState.DONE, result.token_c_fingerprint or "")
        verify = self.step("verify")
        failed_verify = next((w for w in result.warnings if w.code == "reg.verify_failed"), None)
        if failed_verify is not None:
            verify.set(StepState.WARNING, failed_verify.message)
        elif verify.state != StepState.DONE:
            verify.set(StepState.DONE)
        for key in ("their_versions", "their_details"):
            step = self.step(key)
            if not self.embedded:
                step.set(StepState.SKIPPED, "check our platform's logs")
            elif step.state in (StepState.PENDING, StepState.RUNNING):
                step.set(StepState.WARNING, "the partner never fetched it")
        for step in self.steps:
            if step.state == StepState.RUNNING:
                step.set(StepState.DONE)
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

    # ---- progress from the run's transcript ---------------------------------------------------
    def _on_controller_entryAdded(self, run_id: str, entry: dict[str, Any]) -> None:
        reg = self._reg
        if reg is not None and reg.run_id == run_id and self.run_id != run_id:
            if self.run_id is not None:
                self.controller.owned_runs.discard(self.run_id)
            self.run_id = run_id
            self.controller.owned_runs.add(run_id)
        super()._on_controller_entryAdded(run_id, entry)

    def on_entry(self, entry: dict[str, Any]) -> None:
        state = E.state_of(entry)
        if state == "versions_fetched":
            self.step("versions").set(StepState.DONE)
            self.step("details").set(StepState.RUNNING)
        elif state == "details_fetched":
            self.step("details").set(StepState.DONE)
        elif state == "token_b_stored":
            self.step("token_b").set(StepState.DONE)
            self.step("post").set(StepState.RUNNING)
            if self.embedded:
                for key in ("their_versions", "their_details"):
                    self.step(key).set(StepState.RUNNING, "waiting for the partner")
        elif state == "registered":
            self.step("post").set(StepState.DONE)
            self.step("token_c").set(StepState.DONE)
            self.step("verify").set(StepState.RUNNING)
        elif state == "verified":
            self.step("verify").set(StepState.DONE, "the partner accepts TOKEN_C")
        if not E.is_exchange(entry):
            return
        if entry.get("direction") == "outbound":
            self._outbound(entry)
        else:
            self._inbound(entry)

    def _outbound(self, entry: dict[str, Any]) -> None:
        if entry.get("method") == "POST":
            token_b = E.body_token(entry, "request")
            if token_b:
                self.step("token_b").detail = token_b
            token_c = E.body_token(entry, "response")
            status = E.status_of(entry)
            self.step("post").detail = f"with {entry.get('token') or 'TOKEN_A'}" + (
                f": HTTP {status}" if status else ""
            )
            if token_c:
                self.step("token_c").detail = token_c
        elif entry.get("method") == "GET" and entry.get("token"):
            step = self.step("verify")
            if step.state == StepState.RUNNING:
                step.detail = f"GET with {entry['token']}: HTTP {E.status_of(entry) or 'none'}"

    def _inbound(self, entry: dict[str, Any]) -> None:
        kind = E.inbound_kind(entry)
        key = {"versions": "their_versions", "details": "their_details"}.get(kind)
        if key is None:
            return
        step = self.step(key)
        status = E.status_of(entry) or 0
        token = entry.get("token") or "no token"
        if 200 <= status < 300:
            step.set(StepState.DONE, f"with {token}")
        elif step.state != StepState.DONE:
            shown = "a token we did not issue" if token == "unknown" else token
            step.set(StepState.FAILED, f"refused (HTTP {status}): the partner presented {shown}")


INVITE_STEPS = (
    ("issue", "Issue TOKEN_A and serve our versions endpoint"),
    ("their_read", "Partner reads our versions and details with TOKEN_A"),
    ("their_post", "Partner sends its credentials with TOKEN_A"),
    ("fetch_versions", "We fetch the partner's versions with its TOKEN_B"),
    ("fetch_details", "We fetch the partner's version details"),
    ("token_c", "We issue TOKEN_C and store everything; TOKEN_A is dead"),
)


class InviteFlow(_Flow):
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
        from app.sandbox.demo_sender import register_demo_sender

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
        self.run_id = invitation.run_id
        self.controller.owned_runs.add(invitation.run_id)
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
        self.phase = Phase.DONE
        for step in self.steps:
            if step.state in (StepState.PENDING, StepState.RUNNING):
                step.set(StepState.DONE)
        self.step("token_c").detail = result.token_c_fingerprint or ""
        self.controller.partner_touched(result.partner_id)
        self.changed.emit()

    def _on_wait_cancelled(self) -> None:
        if self.phase == Phase.RUNNING:
            self.phase = Phase.READY
            self.changed.emit()

    def on_entry(self, entry: dict[str, Any]) -> None:
        if (
            entry.get("kind") == "StepDone"
            and (entry.get("fields") or {}).get("step") == "registered"
        ):
            for key in ("their_read", "their_post", "fetch_versions", "fetch_details"):
                if self.step(key).state in (StepState.PENDING, StepState.RUNNING):
                    self.step(key).set(StepState.DONE)
            self.step("token_c").set(StepState.DONE)
            return
        if not E.is_exchange(entry):
            return
        status = E.status_of(entry) or 0
        ok = 200 <= status < 300
        if entry.get("direction") == "inbound":
            kind = E.inbound_kind(entry)
            token = entry.get("token") or "no token"
            if kind in ("versions", "details"):
                step = self.step("their_read")
                if ok:
                    step.set(
                        StepState.DONE if kind == "details" else StepState.RUNNING,
                        f"{kind} with {token}",
                    )
                else:
                    step.set(StepState.WARNING, f"{kind} refused (HTTP {status}) with {token}")
            elif kind == "credentials" and entry.get("method") == "POST":
                step = self.step("their_post")
                step.set(StepState.DONE if ok else StepState.FAILED, f"with {token}: HTTP {status}")
                token_c = E.body_token(entry, "response")
                if token_c:
                    self.step("token_c").detail = token_c
            return
        # outbound: we fetch the partner's endpoints while answering their POST
        if self.step("their_read").state == StepState.RUNNING:
            self.step("their_read").set(StepState.DONE)
        self.step("their_post").set(
            StepState.RUNNING, "received; checking the partner before answering"
        )
        fetch = self.step("fetch_versions")
        target = (
            fetch
            if fetch.state in (StepState.PENDING, StepState.RUNNING)
            else self.step("fetch_details")
        )
        token = entry.get("token") or "no token"
        target.set(
            StepState.DONE if ok else StepState.FAILED, f"with {token}: HTTP {status or 'none'}"
        )
        if target is fetch and ok:
            self.step("fetch_details").set(StepState.RUNNING)
