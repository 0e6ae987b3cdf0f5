"""A Sender registration's steps and verdicts (app/engine/register.py drives the run).

`SenderProgress` announces each step once: the log's step events and the typed checklist
steps of the progress channel, from one place. Machine state -> the checklist step that
starts there; a state reached -> the steps it finishes. The wizard's checklist draws
exactly these (app/gui/flows.py). Also here: the verdicts the run records at its end
(mutual discovery, verification) and the external-mode pre-flight.
"""

from __future__ import annotations

from app.core.diagnosis import Diagnosis, OnboardingError, diagnose, fail
from app.core.events import StepDone, StepStarted
from app.core.handshake import Request, SenderHandshake, SenderState
from app.core.http import OcpiHttp
from app.core.judging import Response, judge
from app.core.models import Credentials
from app.core.redact import Redactor
from app.core.runner import EncodingChoice, send_with_encoding
from app.core.tokens import Secret, TokenRole
from app.engine.progress import StepKey, StepStatus
from app.engine.recorder import RunRecorder

STEP_TITLES = {
    SenderState.NEW: "Fetch the partner's versions",
    SenderState.VERSIONS_FETCHED: "Fetch the partner's version details",
    SenderState.DETAILS_FETCHED: "Generate and store TOKEN_B",
    SenderState.TOKEN_B_STORED: "Post our credentials with TOKEN_A",
    SenderState.CREDENTIALS_POSTED: "Receive TOKEN_C",
    SenderState.REGISTERED: "Verify with TOKEN_C",
}
# the checklist step a state starts (credentials_posted: the POST is still under way)
STARTS = {
    SenderState.NEW: StepKey.VERSIONS,
    SenderState.VERSIONS_FETCHED: StepKey.DETAILS,
    SenderState.DETAILS_FETCHED: StepKey.TOKEN_B,
    SenderState.TOKEN_B_STORED: StepKey.POST,
    SenderState.REGISTERED: StepKey.VERIFY,
}
WRITE_FAILURES_UNKNOWN = ("net.post_timeout", "net.reset")
# warnings that make a standing registration unhealthy (app.engine.health), worst first
HEALTH_PROBLEMS = (
    "token.c_rejected",
    "reg.not_registered",
    "reg.verify_failed",
    "reg.discovery_incomplete",
)
SLOW_RECEIVER_SECONDS = 60.0  # a POST deadline below this risks an unknown TOKEN_C


def timeout_warnings(write_timeout: float) -> list[Diagnosis]:
    """A POST deadline under a minute is the user's choice, but never a silent one."""
    if write_timeout >= SLOW_RECEIVER_SECONDS:
        return []
    return [diagnose("net.short_post_timeout", f"{write_timeout:g} s")]


def identity_of(partner: Credentials) -> tuple[str, str, str]:
    """Country code, party id and name of the partner's first role ('' when it sent none)."""
    if not partner.roles:
        return "", "", ""
    first = partner.roles[0]
    return first.country_code, first.party_id, first.business_details.name


def mutual_discovery(fetched: set[str] | None) -> tuple[str, str, list[Diagnosis]]:
    """Did the partner read our versions and details (`fetched`: the endpoints it read
    with TOKEN_B; None: our endpoint is not ours to watch)? -> verdict, missing, warnings."""
    if fetched is None:
        return "unknown", "", [diagnose("reg.discovery_unknown")]
    if {"versions", "details"} <= fetched:
        return "complete", "", []
    missing = " and ".join(
        k for k in ("versions", "version details") if k.split()[-1] not in fetched
    )
    return "incomplete", missing, [diagnose("reg.discovery_incomplete", missing or "endpoints")]


def verification(machine: SenderHandshake, redactor: Redactor) -> dict[str, str]:
    """The first call with TOKEN_C, for partner health: passed, failed (why) or skipped."""
    if machine.state == SenderState.VERIFIED:
        return {"status": "passed"}
    if machine.diagnosis is not None:
        failure = redactor.diagnosis(machine.diagnosis)
        return {"status": "failed", "code": failure.code, "message": failure.message}
    return {"status": "skipped"}


async def preflight_our_platform(
    http: OcpiHttp, versions_url: str, token_b: Secret, version: str | None
) -> None:
    """External mode: our platform must answer our versions URL with TOKEN_B (OCPI 1000)
    before TOKEN_A is spent."""
    request = Request("preflight", "GET", versions_url, TokenRole.B, None, version)
    try:
        result = await send_with_encoding(http, request, token_b, EncodingChoice("auto"))
        judge(Response(result.status, result.body, result.content_type))
    except OnboardingError as exc:
        raise fail("reg.preflight_failed", exc.diagnosis.message) from None


class SenderProgress:
    """Announces each step once, in the transcript (events) and on the progress channel."""

    def __init__(self, recorder: RunRecorder, embedded: bool) -> None:
        self.recorder = recorder
        self.embedded = embedded
        self._announced: set[SenderState] = set()
        self.post_status: int | None = None  # the HTTP status the POST got (its event)

    def announce(self, machine: SenderHandshake) -> None:
        """The step that starts at the machine's state, once: `register()` after
        `discover()` resumes the same step."""
        state = machine.state
        if state in self._announced or state not in STEP_TITLES:
            return
        if state == SenderState.REGISTERED and not machine.verify:
            return
        self._announced.add(state)
        self.recorder.emit(StepStarted(STEP_TITLES[state], step=str(state)))
        step = STARTS.get(state)
        if step is not None and self.recorder.channel.sink is not None:
            self.recorder.step(step, StepStatus.RUNNING, state=str(state))

    def moved(self, machine: SenderHandshake) -> None:
        """The machine reached a new state: the steps it finished (the caller records the
        state, then announces the next step)."""
        state = machine.state
        self.recorder.emit(StepDone(f"Done: {state}", step=str(state)))
        if self.recorder.channel.sink is None:  # no checklist listening: no steps to build
            return
        step = self.recorder.step
        token_a = machine.token_a.fingerprint
        if state == SenderState.VERSIONS_FETCHED:
            step(StepKey.VERSIONS, StepStatus.DONE, state=state, tokens=(token_a,))
        elif state == SenderState.DETAILS_FETCHED:
            shown = f"negotiated OCPI {machine.ocpi_version}" if machine.ocpi_version else None
            step(StepKey.DETAILS, StepStatus.DONE, state=state, detail=shown, tokens=(token_a,))
        elif state == SenderState.TOKEN_B_STORED and machine.token_b is not None:
            token_b = machine.token_b.fingerprint
            step(StepKey.TOKEN_B, StepStatus.DONE, state=state, detail=token_b, tokens=(token_b,))
            if self.embedded:
                for key in (StepKey.THEIR_VERSIONS, StepKey.THEIR_DETAILS):
                    step(key, StepStatus.RUNNING, state=state, detail="waiting for the partner")
        elif state == SenderState.REGISTERED and machine.token_c is not None:
            status = f": HTTP {self.post_status}" if self.post_status else ""
            step(StepKey.POST, StepStatus.DONE, state=state, detail=f"with {token_a}{status}")
            token_c = machine.token_c.fingerprint
            step(StepKey.TOKEN_C, StepStatus.DONE, state=state, detail=token_c, tokens=(token_c,))
        elif state == SenderState.VERIFIED and machine.token_c is not None:
            step(
                StepKey.VERIFY,
                StepStatus.DONE,
                state=state,
                detail="the partner accepts TOKEN_C",
                tokens=(machine.token_c.fingerprint,),
            )

    def posting(self) -> None:
        """TOKEN_A leaves with our credentials now (the POST step is already running). Said
        once the position is stored; the entry goes to the vault with the run's next commit."""
        self.recorder.state(
            str(SenderState.CREDENTIALS_POSTED),
            "State: credentials_posted (TOKEN_A spent now)",
            flush=False,
        )

    def outcome(self, machine: SenderHandshake, warnings: list[Diagnosis]) -> None:
        """A registration that stands: what the checks after TOKEN_C found."""
        if self.recorder.channel.sink is None:  # no checklist listening: no steps to build
            return
        step = self.recorder.step
        state = str(machine.state)
        failed_verify = next((w for w in warnings if w.code == "reg.verify_failed"), None)
        if failed_verify is not None:
            step(StepKey.VERIFY, StepStatus.WARNING, state=state, detail=failed_verify.message)
        elif machine.state != SenderState.VERIFIED:
            step(StepKey.VERIFY, StepStatus.DONE, state=state, only_open=True)
        for key in (StepKey.THEIR_VERSIONS, StepKey.THEIR_DETAILS):
            if not self.embedded:
                step(key, StepStatus.SKIPPED, state=state, detail="check our platform's logs")
            else:
                step(
                    key,
                    StepStatus.WARNING,
                    state=state,
                    detail="the partner never fetched it",
                    only_open=True,
                )
