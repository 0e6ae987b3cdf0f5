"""Registration as Sender: TOKEN_A in, TOKEN_C stored, every step persisted first.

Persistence order (issue: vault, "Crash safety"): TOKEN_A stored and the run created before
the first request; TOKEN_B stored pending (and accepted by our endpoint) before the POST; the
run marked credentials_posted before the POST leaves; TOKEN_C stored in the same transaction
that moves the run to registered and consumes TOKEN_A.

Two commits are durable (fsync), the two the protocol needs: credentials_posted just before
the POST, and TOKEN_C. The other steps commit without one (a killed process keeps them: WAL);
the WAL is written in order, so the fsync before the POST also makes the run, TOKEN_A and
TOKEN_B durable. A power cut before it loses only steps that spent nothing (GETs).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import httpx

from app.core.diagnosis import Diagnosis, OnboardingError, diagnose, fail
from app.core.events import Event, Level, ResponseReceived, StepDone, StepFailed
from app.core.handshake import SenderHandshake, SenderState
from app.core.http import OcpiHttp, make_client
from app.core.inputs import check_token, check_versions_url, errors
from app.core.profile import Profile
from app.core.runner import EncodingChoice, SenderHooks, drive_sender
from app.core.tokens import Secret, TokenRole, generate_token
from app.engine.baseline import snapshot_registration
from app.engine.bookkeeping import close_failed_run, replace_same_identity, sender_partner
from app.engine.context import EngineContext, crash_point, internal_failure, peer_key
from app.engine.partner_profile import (
    await_activation,
    check_profile,
    preflight_tls,
    proposals_after_run,
    settings_for,
)
from app.engine.recorder import RunRecorder
from app.engine.results import Discovery, RunResult
from app.engine.sender_steps import (
    HEALTH_PROBLEMS,
    WRITE_FAILURES_UNKNOWN,
    SenderProgress,
    identity_of,
    mutual_discovery,
    preflight_our_platform,
    timeout_warnings,
    verification,
)
from app.engine.sender_steps import STEP_TITLES as STEP_TITLES  # the steps' titles, for tests
from app.vault import Direction, PartnerRecord, RunRecord, TokenState
from app.vault.profiles import ProfileStore
from app.vault.records import now_iso


class Registration:
    """One Sender registration; `discover()` then `register()`, or `run()` for both."""

    def __init__(
        self,
        engine: EngineContext,
        versions_url: str,
        token_a: Secret,
        *,
        ocpi_version: str | None = None,
        token_encoding: str | None = None,
        verify: bool = True,
        profile: Profile | None = None,
    ) -> None:
        self.engine = engine
        self.vault = engine.vault
        self.versions_url = versions_url.strip()
        self.token_a = Secret(token_a.reveal().strip(), TokenRole.A)
        # the arguments (the command line) win over the profile, the profile over defaults
        self.profile = (profile or Profile()).merge(
            ocpi_version=ocpi_version, token_encoding=token_encoding
        )
        ocpi_version = self.profile.ocpi_version
        self.http_settings = settings_for(engine.http_settings, self.profile)
        self.encoding = EncodingChoice(self.profile.engine_encoding)
        self.machine = SenderHandshake(
            self.versions_url,
            self.token_a,
            engine.us,
            preferred_version=ocpi_version,
            required_modules=engine.required_modules,
            verify=verify,
        )
        self.run_id: str | None = None
        self._run: RunRecord | None = None  # the run as last written (its only writer)
        self.partner_id: int | None = None
        self.key: str | None = None
        self.token_b_cred: int | None = None
        self._token_b: Secret | None = None  # issued, stored with the token_b_stored step
        self._stored_state: str | None = None  # the position last committed
        self.started = time.time()
        self._recorder: RunRecorder | None = None
        self._progress: SenderProgress | None = None
        self._client: httpx.AsyncHTTPTransport | None = None
        self._http: OcpiHttp | None = None
        self.result: RunResult | None = None
        self.activated: bool | None = None  # after an activation wait, if any

    # ---- public ------------------------------------------------------------------------
    async def discover(self) -> Discovery:
        await self._ensure_started()
        await self._drive(stop_after=SenderState.DETAILS_FETCHED)
        details = self.machine.details
        return Discovery(
            versions=list(self.machine.their_versions),
            chosen_version=self.machine.ocpi_version,
            modules=[(e.identifier, e.role, e.url) for e in (details.endpoints if details else [])],
            credentials_url=self.machine.credentials_url,
            warnings=list(self.machine.warnings)
            + list(self.encoding.warnings)
            + timeout_warnings(self.engine.http_settings.write_timeout),
        )

    async def register(self) -> RunResult:
        await self._ensure_started()
        await self._drive(stop_after=None)
        return self._finish()

    async def run(self) -> RunResult:
        try:
            await self.discover()
            return await self.register()
        except OnboardingError:
            if self.result is None:  # refused before a run existed (input, TOKEN_A reuse)
                raise
            return self.result

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self.engine.release(self.key)

    # ---- set-up ------------------------------------------------------------------------
    async def _ensure_started(self) -> None:
        if self.run_id is not None:
            return
        await self.engine.start()
        self.engine.identity.validate()
        problems = errors(
            check_versions_url(self.versions_url, self.engine.http_settings.allow_insecure)
        )
        problems += errors(check_token(self.token_a.reveal()))
        if problems:
            raise OnboardingError(problems[0])
        check_profile(self.profile)
        existing = self.vault.find_token(self.token_a)
        if existing is not None and existing.role == TokenRole.A:
            if existing.state in (TokenState.CONSUMED, TokenState.REVOKED, TokenState.SUPERSEDED):
                raise fail("token.a_reused")
            self.partner_id = existing.partner_id
        # no fsync: nothing is spent before the POST, whose durable commit carries this one
        with self.vault.transaction(durable=False):
            if self.partner_id is None:
                partner = self.vault.save_partner(
                    PartnerRecord(
                        id=None,
                        country_code="",
                        party_id="",
                        versions_url=self.versions_url,
                        our_role="sender",
                        status="pending",
                        token_encoding=self.encoding.mode,
                    )
                )
                assert partner.id is not None
                self.partner_id = partner.id
                self.vault.add_token(
                    partner.id, TokenRole.A, Direction.OUTBOUND, self.token_a, TokenState.PENDING
                )
            ProfileStore(self.vault).save(self.partner_id, self.profile)
            run = self.vault.start_run(
                "register",
                self.partner_id,
                state=SenderState.NEW,
                data={
                    "versions_url": self.versions_url,
                    "ocpi_version": self.machine.preferred_version,
                }
                | ({"sandbox": True} if self._is_sandbox() else {}),
            )
        self.run_id = run.id
        self._run = run
        self._stored_state = run.state
        self.key = peer_key(self.partner_id)
        self._recorder = self.engine.recorder(
            run.id, self.key, [self.token_a], kind="register", partner_id=self.partner_id
        )
        self._progress = SenderProgress(self._recorder, self.engine.embedded)
        self._client = make_client(self.http_settings)
        self._http = OcpiHttp(
            self._client, self._recorder.transcript, self.http_settings, self._emit
        )
        # the request/response events go to the listeners only (and the POST's status to
        # the checklist): none listening, none built
        self._http.request_events = self._recorder.listened
        crash_point("new")
        if self.profile.mutual_tls:  # before TOKEN_A travels anywhere
            try:
                await preflight_tls(self._http, self.versions_url, self._recorder.emit)
            except OnboardingError as exc:
                self._fail(exc.diagnosis)
                await self.aclose()
                raise

    def _emit(self, event: Event) -> None:
        """The HTTP driver's events; the POST's answer status is a step's detail."""
        assert self._recorder is not None and self._progress is not None
        if isinstance(event, ResponseReceived) and event.method == "POST":
            self._progress.post_status = event.http_status
        self._recorder.emit(event)

    def _is_sandbox(self) -> bool:
        """A sandbox this engine started: its partners are marked (they vanish with it)."""
        return self.versions_url in self.engine.running_sandboxes()

    # ---- the drive -----------------------------------------------------------------------
    async def _drive(self, stop_after: SenderState | None) -> None:
        assert self._http is not None and self._progress is not None
        hooks = SenderHooks(
            self._issue_token_b, self._before_post, self._registered, self._state_changed
        )
        self._progress.announce(self.machine)
        total = self.engine.http_settings.total_timeout
        left = max(0.0, self.started + total - time.time())
        try:
            try:
                async with asyncio.timeout(left):
                    await drive_sender(self.machine, self._http, hooks, self.encoding, stop_after)
            except TimeoutError:
                if self.machine.state == SenderState.CREDENTIALS_POSTED:
                    raise fail("net.post_timeout") from None
                raise fail("net.timeout", f"{total:.0f} s for the whole registration") from None
        except asyncio.CancelledError:
            self._fail(diagnose("reg.cancelled"), cancelled=True)
            await self.aclose()
            raise
        except OnboardingError as exc:
            self._fail(exc.diagnosis)
            await self.aclose()
            raise
        except Exception as exc:  # never a traceback: a diagnosis naming the type
            error = internal_failure(exc)
            self._fail(error.diagnosis)
            await self.aclose()
            raise error from None

    async def _state_changed(self, machine: SenderHandshake) -> None:
        assert self.run_id and self._recorder and self._progress and self.partner_id is not None
        state = str(machine.state)
        self._progress.moved(machine)
        # Turns of the loop between what listeners do with a step (the log pane, the
        # checklist: a few ms each on the UI thread) and the step's commit, and after the
        # next step is announced: one engine callback was 5-10 ms of the GUI's handshake
        # (issue 13, target 4). The position is not yet stored here; a kill in this turn
        # redoes the step (crash_point comes after the commit)
        await asyncio.sleep(0)
        # The state is recorded before the next step is announced (the transcript reads in
        # the order things happened)
        if state == self._stored_state:
            # already committed with its step (registered: with TOKEN_C); the transcript
            # entries go with the next commit
            self._recorder.state(state, flush=False)
        else:
            # one commit for the position, TOKEN_B at its step, and the transcript so far;
            # no fsync: nothing was spent yet (the POST's commit is the durable one)
            token_b = self._token_b if machine.state == SenderState.TOKEN_B_STORED else None
            with self.vault.transaction(durable=False):
                if token_b is not None:
                    self.token_b_cred = self.vault.add_token(
                        self.partner_id, TokenRole.B, Direction.INBOUND, token_b, run_id=self.run_id
                    ).id
                self.vault.move_run(self.run_id, state)
                self._recorder.state(state)
            self._stored_state = state
            if token_b is not None and self.engine.embedded and self.key:
                # our endpoint accepts TOKEN_B once it is stored, before the POST
                version = machine.ocpi_version or "2.2.1"
                self.engine.receiver.expect_sender(self.key, token_b, version)
                self.engine.tokens.remember_outbound(self.token_a, self.key)
        self._progress.announce(machine)
        crash_point(state)
        await asyncio.sleep(0)

    async def _issue_token_b(self, machine: SenderHandshake) -> Secret:
        assert self.partner_id is not None and self.run_id and self._recorder and self.key
        settings = self.engine.callback_settings
        if settings.mode == "external":
            if settings.token_b is None:
                raise fail("reg.preflight_failed", "no TOKEN_B given for our platform")
            token_b = settings.token_b.with_role(TokenRole.B)
            self._recorder.add_secret(token_b)
            assert self._http is not None
            await preflight_our_platform(
                self._http, self.engine.our_versions_url, token_b, self.machine.ocpi_version
            )
        else:
            token_b = Secret(generate_token(), TokenRole.B)
            self._recorder.add_secret(token_b)
        # stored (pending) in the token_b_stored step's commit, see `_state_changed`
        self._token_b = token_b
        return token_b

    async def _before_post(self, machine: SenderHandshake) -> None:
        assert self.run_id and self._recorder
        # "posted": TOKEN_A leaves with our credentials now; a retry must not reuse it blindly.
        # The first durable commit: its fsync also makes the run, TOKEN_A and TOKEN_B durable
        with self.vault.transaction():
            self._run = self.vault.update_run(
                self.run_id,
                state=SenderState.CREDENTIALS_POSTED,
                data={"posted": True},
                current=self._run,
            )
            self._recorder.flush()
        self._stored_state = str(SenderState.CREDENTIALS_POSTED)
        if self._progress is not None:
            self._progress.posting()
        crash_point("credentials_posted")

    async def _registered(self, machine: SenderHandshake) -> None:
        assert self.partner_id is not None and self.run_id and machine.partner and machine.token_c
        partner = machine.partner
        cc, pid, _name = identity_of(partner)
        assert self._recorder is not None
        self._recorder.add_secret(machine.token_c)
        with self.vault.transaction():
            if cc and pid:
                replace_same_identity(self.vault, self.partner_id, cc, pid)
            self.vault.add_token(
                self.partner_id,
                TokenRole.C,
                Direction.OUTBOUND,
                machine.token_c,
                TokenState.ACTIVE,
                self.run_id,
            )
            if self.token_b_cred is not None:
                self.vault.set_token_state(self.token_b_cred, TokenState.ACTIVE)
            saved = self.vault.save_partner(
                sender_partner(self.partner_id, machine, self.encoding.stored_value)
            )
            snapshot_registration(self.vault, self.partner_id, machine.their_versions, saved)
            self.vault.move_run(self.run_id, SenderState.REGISTERED)
        self._stored_state = str(SenderState.REGISTERED)
        if self.engine.embedded and self.key:
            session = self.engine.receiver.sessions.get(self.key)
            if session is not None:
                self.engine.receiver.registered_sender(session, machine.token_c)
        crash_point("registered")
        await asyncio.sleep(0)  # TOKEN_C's commit and the steps it finishes: two loop turns
        if self.profile.activation_delay_s and machine.verify and self._http is not None:
            self.activated = await await_activation(
                self._http,
                machine.versions_url_after(),
                machine.token_c,
                self.encoding,
                None,
                self.profile.activation_delay_s,
                self._recorder.emit,
            )

    # ---- outcome ------------------------------------------------------------------------
    def _finish(self) -> RunResult:
        assert self.run_id and self._recorder
        machine = self.machine
        warnings: list[Diagnosis] = list(machine.warnings) + list(self.encoding.warnings)
        warnings += timeout_warnings(self.engine.http_settings.write_timeout)
        if self.partner_id is not None:
            warnings += proposals_after_run(
                self.vault,
                self.partner_id,
                self.profile,
                self.encoding,
                list(machine.their_versions),
            )
        if machine.state == SenderState.REGISTERED and machine.diagnosis is not None:
            warnings.insert(0, machine.diagnosis)
        fetched = None
        if self.engine.embedded and self.key is not None:
            fetched = self.engine.discovery_calls(self.key, self.started)
        mutual, missing, found = mutual_discovery(fetched)
        warnings += found
        warnings = [self._recorder.transcript.redactor.diagnosis(w) for w in warnings]
        for warning in warnings:
            self._recorder.diagnosis(warning)
        if self._progress is not None:
            self._progress.outcome(machine, warnings)
        outcome_state = str(machine.state)
        # TOKEN_C is already stored durably; the outcome may skip the fsync
        # registered, but not healthy: the run's history names the problem (the contract's
        # register --json keeps diagnosis null: the registration itself stands)
        problem = next((w for w in warnings if w.code in HEALTH_PROBLEMS), None)
        partner = machine.partner
        assert partner is not None and machine.token_c is not None
        cc, pid, _name = identity_of(partner)
        # One commit for the outcome and the run's last entries. Listeners hear the last
        # step only once it is committed (`held`): the log pane labels the run when it
        # sees that step, so the outcome must be stored by then.
        with self._recorder.held(), self.vault.transaction(durable=False):
            self._run = self.vault.update_run(
                self.run_id,
                current=self._run,
                state=outcome_state,
                outcome="succeeded",
                diagnosis=problem.to_dict() if problem is not None else None,
                data={
                    "mutual_discovery": mutual,
                    "discovery_missing": missing,
                    "warnings": [w.code for w in warnings],
                    "verify": verification(self.machine, self._recorder.transcript.redactor),
                },
            )
            # a check with TOKEN_C ran (passed, or refused: "never checked" beside "TOKEN_C
            # refused" would be untrue); none ran with --no-verify
            tried = machine.state == SenderState.VERIFIED or any(
                w.code == "reg.verify_failed" for w in warnings
            )
            if tried and self.partner_id is not None:
                checked = self.vault.partner(self.partner_id)
                self.vault.save_partner(replace(checked, last_checked=now_iso()))
            self._recorder.emit(
                StepDone(
                    f"Registered with {cc}-{pid} on OCPI {machine.ocpi_version};"
                    f" TOKEN_C {machine.token_c.fingerprint}; mutual discovery {mutual}",
                    Level.INFO,
                    step="registered",
                )
            )
            self._recorder.flush()
        self.result = RunResult(
            status="registered",
            run_id=self.run_id,
            partner_id=self.partner_id,
            peer={
                "country_code": cc,
                "party_id": pid,
                "roles": [r.role for r in partner.roles if r.role] or [],
            },
            ocpi_version=machine.ocpi_version,
            token_c_fingerprint=machine.token_c.fingerprint,
            mutual_discovery=mutual,
            diagnosis=None,
            warnings=warnings,
        )
        self.engine.release(self.key)
        return self.engine.finished(self.result)

    def _fail(self, diagnosis: Diagnosis, cancelled: bool = False) -> None:
        if self.run_id is None:
            return
        if self._recorder is not None:  # a partner's status message may echo a token
            diagnosis = self._recorder.transcript.redactor.diagnosis(diagnosis)
        machine = self.machine
        posted = machine.posted and machine.state in (
            SenderState.CREDENTIALS_POSTED,
            SenderState.FAILED,
        )
        unknown = posted and (diagnosis.code in WRITE_FAILURES_UNKNOWN or cancelled)
        if unknown:
            outcome = "interrupted"
            diagnosis = (
                diagnose("net.post_timeout") if not cancelled else diagnose("reg.unknown_outcome")
            )
        else:
            outcome = "cancelled" if cancelled else "failed"
        # what was tolerated before the failure, recorded before the outcome is final
        warnings = list(machine.warnings) + list(self.encoding.warnings)
        warnings += timeout_warnings(self.engine.http_settings.write_timeout)
        if self._recorder is not None:
            warnings = [self._recorder.transcript.redactor.diagnosis(w) for w in warnings]
            for warning in warnings:
                self._recorder.diagnosis(warning)
        close_failed_run(
            self.vault,
            self.run_id,
            str(machine.state),
            outcome,
            diagnosis,
            self.partner_id,
            self.token_b_cred,
            unknown,
        )
        if self.key and not unknown and machine.token_b is not None:
            self.engine.tokens.revoke(machine.token_b)
        if self._recorder is not None:
            self._recorder.emit(
                StepFailed(
                    diagnosis.message, Level.ERROR, step=str(machine.state), diagnosis=diagnosis
                )
            )
        self.result = RunResult(
            status="failed",
            run_id=self.run_id,
            partner_id=self.partner_id,
            peer=None,
            ocpi_version=machine.ocpi_version,
            token_c_fingerprint=None,
            mutual_discovery="unknown",
            diagnosis=diagnosis,
            warnings=warnings,
        )
        self.engine.finished(self.result)
