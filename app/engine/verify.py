"""`verify PEER`: a read-only conformance run of a registered connection with TOKEN_C.

Makes the requests (versions, details, credentials, one limit=1 page per module the
partner sends, optional auth probes, our own endpoint) and hands each answer to a pure
judge (verify_judges.py); the checks and their ids are data (verify_checks.py); the
auth probes and the call back to us are in verify_probes.py. Every
request lands, redacted, in the run's transcript, and the report itself is a transcript
entry, so each export format carries it. Nothing is written to the partner.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from app.core.diagnosis import OnboardingError, diagnose
from app.core.events import Event, Level, StepDone, StepFailed, StepStarted
from app.core.handshake import Request
from app.core.http import HttpResult
from app.core.models import credentials_from_wire_lenient
from app.core.ocpi import (
    SUPPORTED_VERSIONS,
    Envelope,
    canonical_version,
    negotiate,
    parse_envelope,
    sanitize_text,
    uses_base64_header,
)
from app.core.runner import send_with_encoding
from app.core.tokens import TokenRole, fingerprint, tokens_equal
from app.engine import verify_judges as J
from app.engine.context import EngineContext
from app.engine.manage import _Op, _peer
from app.engine.verify_checks import (
    FAIL,
    PASS,
    SKIP,
    WARN,
    CheckResult,
    CheckStatus,
    VerifyReport,
    applicable_ids,
    paged_modules,
    result,
    roles_towards,
)
from app.engine.verify_probes import probe_auth, probe_callback
from app.vault.records import now_iso

VERIFY_OP = "verify"
_LEVELS = {PASS: Level.INFO, SKIP: Level.INFO, WARN: Level.WARNING, FAIL: Level.ERROR}


class _Answer:
    """One GET's outcome: the HTTP result and its envelope, or why there is none."""

    def __init__(
        self, http: HttpResult | None, envelope: Envelope | None, problem: str | None
    ) -> None:
        self.http = http
        self.envelope = envelope
        self.problem = problem

    @property
    def ok(self) -> bool:
        return (
            self.http is not None
            and self.http.status == 200
            and self.envelope is not None
            and self.envelope.ok
        )

    def why(self) -> str:
        if self.problem:
            return self.problem
        assert self.http is not None
        text = f"HTTP {self.http.status}"
        if self.envelope is not None:
            text += f", OCPI {self.envelope.status_code}"
            if self.envelope.status_message:
                text += f" ({sanitize_text(self.envelope.status_message, 120)})"
        return text


class VerifyRun:
    """One verify run over a registered partner; `run()` returns the report."""

    def __init__(self, engine: EngineContext, op: _Op, probe_auth: bool) -> None:
        self.engine = engine
        self.op = op
        self.probe_auth = probe_auth
        self.partner = op.partner
        self.version = canonical_version(self.partner.ocpi_version or "") or None
        self.our_roles = roles_towards(
            [str(r.get("role") or "") for r in self.partner.roles], tuple(engine.identity.roles)
        )
        self.results: dict[str, CheckResult] = {}

    # ---- plumbing ----------------------------------------------------------------------
    def put(self, check_id: str, status: CheckStatus, detail: str, fix: str | None = None) -> None:
        check = result(check_id, status, detail, fix)
        self.results[check_id] = check
        text = f"{check_id}: {status.upper()} — {detail}"
        self.op.recorder.emit(Event(text, _LEVELS[status]))

    def skip(self, ids: list[str], why: str) -> None:
        for check_id in ids:
            if check_id not in self.results:
                self.put(check_id, SKIP, why)

    async def get(self, url: str, version: str | None, *, module_call: bool = False) -> _Answer:
        request = Request("verify", "GET", url, self.op.outbound.role, None, version)
        try:
            http = await send_with_encoding(
                self.op.http, request, self.op.outbound, self.op.encoding, module_call=module_call
            )
        except OnboardingError as exc:
            return _Answer(None, None, f"{exc.diagnosis.message} ({exc.diagnosis.code})")
        try:
            envelope = parse_envelope(http.body, http.status, http.content_type)
        except OnboardingError as exc:
            return _Answer(http, None, f"HTTP {http.status}: {exc.diagnosis.message}")
        return _Answer(http, envelope, None)

    def paged_url(self, url: str) -> str:
        return url + ("&" if urlsplit(url).query else "?") + "limit=1"

    # ---- the run -------------------------------------------------------------------------
    async def run(self) -> list[CheckResult]:
        versions = await self.get(self.partner.versions_url, None)
        details_data = await self._versions(versions)
        endpoints = J.endpoints_of(details_data) if details_data is not None else []
        if details_data is not None:
            self._details(endpoints)
            await self._credentials(endpoints)
            await self._pages(endpoints)
        self._request_ids()
        await probe_auth(self, endpoints or self.partner.endpoints)
        await probe_callback(self)
        order = applicable_ids(self.our_roles)
        self.skip(order, "Not reached: an earlier check failed.")
        return [self.results[i] for i in order]

    async def _versions(self, answer: _Answer) -> dict[str, Any] | None:
        later = ["versions.timestamp", "versions.unique", "versions.common", "details.reachable"]
        if not answer.ok:
            fix = None
            if answer.http is not None and answer.http.status in (401, 403):
                d = diagnose("token.c_rejected", str(answer.http.status))
                fix = d.hint
            self.put("versions.reachable", FAIL, f"GET versions: {answer.why()}.", fix)
            self.skip(later, "The versions endpoint did not answer.")
            return None
        assert answer.envelope is not None
        self.put("versions.reachable", PASS, "GET versions answered HTTP 200, OCPI 1000.")
        self.put(
            "versions.timestamp", *J.judge_timestamp(answer.envelope.timestamp, datetime.now(UTC))
        )
        data = answer.envelope.data
        self.put("versions.unique", *J.judge_unique_versions(data))
        listed = [v for v in data if isinstance(v, dict)] if isinstance(data, list) else []
        by_version = {
            canonical_version(str(v.get("version"))): str(v.get("url", "")) for v in listed
        }
        offered = [v for v in by_version if v]
        shown = ", ".join(str(v) for v in offered) or "none"
        mutual = negotiate(offered, SUPPORTED_VERSIONS)
        registered = self.version
        if registered is None or registered not in by_version:
            self.put(
                "versions.common",
                FAIL,
                f"Registered on {registered or 'no version'}; the partner now offers {shown}.",
                "Our registered version is gone: rotate (PUT) to negotiate a version both sides"
                " offer, or ask the partner to restore it.",
            )
            self.skip(["details.reachable"], "The registered version is not offered.")
            return None
        if (
            mutual
            and canonical_version(mutual) != registered
            and (canonical_version(mutual) or "") > registered
        ):
            self.put(
                "versions.common",
                WARN,
                f"Registered on {registered}; a newer common version {mutual} is offered.",
                f"Upgrade to {mutual}: a credentials PUT at {mutual} (check offers the guided"
                " upgrade), then re-fetch the endpoints.",
            )
        else:
            self.put("versions.common", PASS, f"Registered on {registered}; offered: {shown}.")
        details = await self.get(by_version[registered], registered)
        if not details.ok:
            self.put("details.reachable", FAIL, f"GET version details: {details.why()}.")
            return None
        assert details.envelope is not None
        data = details.envelope.data
        said = data.get("version") if isinstance(data, dict) else None
        if said is not None and canonical_version(str(said)) != registered:
            self.put(
                "details.reachable",
                WARN,
                f"The details of {registered} say version {sanitize_text(str(said), 20)}.",
            )
        else:
            self.put("details.reachable", PASS, f"GET {registered} details answered OCPI 1000.")
        return data if isinstance(data, dict) else {}

    def _details(self, endpoints: list[dict[str, Any]]) -> None:
        version = self.version or "2.2.1"
        if any(J.module_id(e) == "credentials" for e in endpoints):
            self.put("details.credentials", PASS, "The credentials module is listed.")
        else:
            self.put("details.credentials", FAIL, "No credentials module in the version details.")
        self.put("details.absolute_urls", *J.judge_absolute_urls(endpoints))
        self.put("details.unique_modules", *J.judge_unique_modules(endpoints))
        self.put("details.known_modules", *J.judge_known_modules(endpoints, version))
        partner_roles = [str(r.get("role") or "") for r in self.partner.roles]
        self.put("roles.fit", *J.judge_roles_fit(endpoints, version, self.our_roles, partner_roles))

    async def _credentials(self, endpoints: list[dict[str, Any]]) -> None:
        url = next((str(e.get("url")) for e in endpoints if J.module_id(e) == "credentials"), None)
        if url is None:
            self.skip(["credentials.agrees"], "No credentials module listed.")
            return
        answer = await self.get(url, self.version)
        if not answer.ok or not isinstance(answer.envelope and answer.envelope.data, dict):
            self.put("credentials.agrees", FAIL, f"GET credentials: {answer.why()}.")
            return
        assert answer.envelope is not None
        data: dict[str, Any] = answer.envelope.data
        problems, warnings = [], []
        token = data.get("token")
        if not isinstance(token, str) or not tokens_equal(token, self.op.outbound.reveal()):
            seen = fingerprint(token, TokenRole.C) if isinstance(token, str) and token else "none"
            problems.append(
                f"their credentials carry token {seen}, we present {self.op.outbound.fingerprint}"
            )
        try:
            creds, _problem = credentials_from_wire_lenient(data, self.partner.versions_url)
        except (KeyError, TypeError, ValueError):
            creds = None
        if creds is not None:
            now = {(str(r.role or ""), r.country_code, r.party_id) for r in creds.roles}
            then = {
                (str(r.get("role") or "").upper(), str(r.get("country_code") or "").upper(),
                 str(r.get("party_id") or "").upper())
                for r in self.partner.roles
            }  # fmt: skip
            if now != then:
                warnings.append(f"roles were {_roles_text(then)}, now {_roles_text(now)}")
            if (creds.hub_party_id or None) != (self.partner.hub_party_id or None):
                warnings.append(
                    f"hub_party_id was {self.partner.hub_party_id or 'none'},"
                    f" now {sanitize_text(creds.hub_party_id or 'none', 10)}"
                )
            if creds.url.rstrip("/") != self.partner.versions_url.rstrip("/"):
                warnings.append("their versions URL differs from the one we store")
        if problems:
            self.put(
                "credentials.agrees",
                FAIL,
                "; ".join(problems + warnings) + ".",
                "The two sides hold different tokens (a rotation half done?): rotate (PUT) now"
                " so both store the same pair, or ask the partner which token they expect.",
            )
        elif warnings:
            self.put("credentials.agrees", WARN, "; ".join(warnings) + ".")
        else:
            self.put("credentials.agrees", PASS, "Token, roles and hub id match the registration.")

    async def _pages(self, endpoints: list[dict[str, Any]]) -> None:
        version = self.version or "2.2.1"
        with_roles = uses_base64_header(version)
        for module in paged_modules(self.our_roles):
            ids = [f"page.{module}", f"pagination.{module}", f"objects.{module}"]
            endpoint = next(
                (
                    e
                    for e in endpoints
                    if J.module_id(e) == module
                    and (not with_roles or str(e.get("role") or "").upper() == "SENDER")
                ),
                None,
            )
            if endpoint is None:
                self.skip(ids, f"The partner does not offer {module} as SENDER (see roles.fit).")
                continue
            answer = await self.get(
                self.paged_url(str(endpoint.get("url"))), version, module_call=True
            )
            data = answer.envelope.data if answer.envelope is not None else None
            if not answer.ok or not isinstance(data, list):
                why = answer.why() if not answer.ok else "data is not a list"
                self.put(ids[0], FAIL, f"GET {module}?limit=1: {why}.")
                self.skip(ids[1:], f"No {module} page to judge.")
                continue
            assert answer.http is not None
            self.put(ids[0], PASS, f"GET {module}?limit=1 answered OCPI 1000 with a list.")
            self.put(ids[1], *J.judge_pagination(answer.http.headers, data, 1, module))
            if data:
                self.put(ids[2], *J.judge_objects(data, module, version))
            else:
                self.put(ids[2], SKIP, f"No {module} objects on the first page to validate.")

    def _request_ids(self) -> None:
        check_id = "headers.request_ids"
        if self.version == "2.1.1":
            self.put(check_id, SKIP, "OCPI 2.1.1 defines no X-Request-ID/X-Correlation-ID.")
            return
        seen = missing = 0
        for entry in self.op.recorder.transcript.entries:
            if entry.get("type") != "exchange" or entry.get("direction") != "outbound":
                continue
            sent = {k.lower(): v for k, v in entry["request"]["headers"].items()}
            got = {k.lower(): v for k, v in entry["response"]["headers"].items()}
            if "x-request-id" not in sent or entry["response"].get("status") is None:
                continue
            seen += 1
            if any(got.get(h) != sent.get(h) for h in ("x-request-id", "x-correlation-id")):
                missing += 1
        if seen == 0:
            self.put(check_id, SKIP, "No answered request carried request ids.")
        elif missing:
            self.put(
                check_id,
                WARN,
                f"{missing} of {seen} responses did not echo X-Request-ID and X-Correlation-ID.",
            )
        else:
            self.put(check_id, PASS, f"All {seen} responses echoed both ids.")


def versions_status(op: _Op) -> int | None:
    """The HTTP status of the run's first answered GET of the versions endpoint."""
    for entry in op.recorder.transcript.entries:
        if entry.get("type") == "exchange" and entry.get("direction") == "outbound":
            status = entry["response"].get("status")
            return status if isinstance(status, int) else None
    return None


def _unreachable(report: VerifyReport, status: int | None) -> dict[str, Any] | None:
    """A diagnosis when the partner did not take TOKEN_C at all (None when it did)."""
    first = next((c for c in report.checks if c.id == "versions.reachable"), None)
    if first is None or first.status != FAIL:
        return None
    if status in (401, 403):
        return diagnose("token.c_rejected", str(status)).to_dict()
    return {"code": "verify.unreachable", "message": first.detail, "hint": first.fix}


def _roles_text(roles: set[tuple[str, str, str]]) -> str:
    return ", ".join(sorted(f"{r} {cc}-{pid}".strip() for r, cc, pid in roles)) or "none"


async def verify(engine: EngineContext, ref: int | str, probe_auth: bool = False) -> VerifyReport:
    """Run every check against one registered partner; store the report with the run."""
    await engine.start()
    # Stored as a run of kind "check" marked op=verify: the runs table's kinds are fixed by a
    # CHECK constraint that a migration cannot widen without rebuilding the table.
    op = _Op(engine, ref, "check")
    # A read-only check's bookkeeping: its commits skip the fsync (safe against a killed
    # process, WAL; a power cut may lose the report, never a token). Each fsync ran on the
    # UI thread and stalled the window 5-15 ms on a busy disk (issue 13).
    with op.vault.transaction(durable=False):
        op.vault.update_run(op.run.id, data={"op": VERIFY_OP})
    peer = op.partner.ref
    try:
        op.recorder.emit(
            StepStarted(f"Verify {peer} with {op.outbound.fingerprint}", step="verify")
        )
        checks = await VerifyRun(engine, op, probe_auth).run()
        report = VerifyReport(_peer(op.partner), op.partner.ocpi_version, checks, op.run.id)
        op.recorder.transcript.add_report("verify", report.to_json())
        summary = report.summary
        text = ", ".join(f"{n} {s}" for s, n in summary.items())
        # The run's outcome says whether TOKEN_C reached the partner (partner health reads
        # it as check evidence); conformance findings live in the report.
        diagnosis = _unreachable(report, versions_status(op))
        with op.vault.transaction(durable=False):
            op.vault.mark_used(op.out_id)
            if diagnosis is None:  # it reached the partner: the row's "checked" says when
                # (a Verify left "Added · checked" and Last checked at the older check)
                current = op.vault.partner(op.partner.id or 0)
                op.vault.save_partner(replace(current, last_checked=now_iso()))
            op.vault.update_run(
                op.run.id,
                state="verified",
                outcome="failed" if diagnosis else "succeeded",
                diagnosis=diagnosis,
                data={
                    "report": report.to_json(),
                    "tls_expires_days": op.http.certificate_days(op.partner.versions_url),
                },
            )
        if report.ok:
            op.recorder.emit(StepDone(f"Verified {peer}: {text}", step="verify"))
        else:
            failing = ", ".join(c.id for c in checks if c.status == FAIL)
            op.recorder.emit(
                StepFailed(
                    f"Verify {peer}: {text} (failing: {failing})", Level.ERROR, step="verify"
                )
            )
        return report
    except asyncio.CancelledError:
        op.vault.update_run(op.run.id, outcome="cancelled")
        raise
    finally:
        await op.close()
