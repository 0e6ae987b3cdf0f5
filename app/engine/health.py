"""A partner's health: one pure judgement over what the vault knows, for CLI and GUI alike.

Why one place: the two traps this app exists to catch, a partner that refuses the TOKEN_C it
issued and a partner that never fetched our endpoints (mutual discovery incomplete), must
never look healthy anywhere. The partners list, the detail view, the wizard's last page and
`peers list/show --json` all call `assess`, so they cannot disagree.

Rules (newest evidence wins for TOKEN_C):
- registered: TOKEN_C is judged by the newest of the registration's verification, a
  rotation (a PUT with TOKEN_C that worked) and a check. Refused -> failing; a failed
  check -> failing; never confirmed -> unknown. Mutual discovery incomplete -> warning;
  unknown (our platform serves our endpoint) -> unknown.
- failed: failing, with the run's diagnosis. pending: unknown (waiting, or a run left
  unfinished -> warning). unregistered, replaced: unknown, no findings.
- `extra` findings come from the caller: things only it can know (a sandbox that is not
  running in this process, later: conformance and drift results). The worst level wins.

Qt-free and light: imports no HTTP stack and no pydantic model (`peers list` stays fast).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from app.engine.rows import cancelled_hint
from app.vault.facts import latest_runs
from app.vault.records import PartnerRecord, RunRecord
from app.vault.store import Vault

HealthLevel = Literal["ok", "unknown", "warning", "failing"]  # `health` in peers --json
OK: HealthLevel = "ok"
UNKNOWN: HealthLevel = "unknown"
WARNING: HealthLevel = "warning"
FAILING: HealthLevel = "failing"
LEVELS: tuple[HealthLevel, ...] = (OK, UNKNOWN, WARNING, FAILING)  # from best to worst
_RANK = {level: rank for rank, level in enumerate(LEVELS)}

# Verification / check outcomes that mean "the partner does not accept our token".
REFUSED_CODES = frozenset({"token.c_rejected", "reg.not_registered"})


@dataclass(frozen=True)
class Finding:
    """One reason a partner is not plainly healthy: stable code, plain words, the fix."""

    code: str
    level: HealthLevel  # never "ok"
    message: str
    hint: str = ""
    label: str = ""  # a few words for a list badge ("TOKEN_C refused")

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "hint": self.hint, "level": self.level}


@dataclass(frozen=True)
class Health:
    """The verdict: a level, the findings behind it (worst first), and the sandbox mark."""

    level: HealthLevel
    findings: tuple[Finding, ...] = ()
    sandbox: bool = False

    @property
    def ok(self) -> bool:
        return self.level == OK

    @property
    def worst(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    @property
    def badge(self) -> str:
        """The worst finding in a few words ('' when nothing is wrong or the status says it)."""
        worst = self.worst
        return worst.label if worst is not None else ""

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def warnings_json(self) -> list[dict[str, str]]:
        return [f.to_json() for f in self.findings]


# ---- the findings, in plain words -----------------------------------------------------------
def token_c_refused(detail: str = "") -> Finding:
    return Finding(
        "token.c_rejected",
        FAILING,
        "The partner refuses TOKEN_C, the token it issued to us"
        + (f" ({detail})" if detail else "")
        + ": every call we make to it fails.",
        "Ask the partner which token they stored for us (they may have kept TOKEN_B in its"
        " place, or expect the other token encoding), then run Check connection. If they"
        " dropped the registration, ask for a new TOKEN_A and onboard again.",
        "TOKEN_C refused",
    )


def discovery_incomplete(missing: str = "") -> Finding:
    return Finding(
        "reg.discovery_incomplete",
        WARNING,
        "Mutual discovery incomplete: the partner never fetched our "
        + (missing or "versions and version details")
        + ", so it does not know where to push data to us.",
        "Ask the partner to fetch our versions URL with the TOKEN_B we sent, or rotate"
        " credentials so they fetch it again.",
        "discovery incomplete",
    )


DISCOVERY_UNKNOWN = Finding(
    "reg.discovery_unknown",
    UNKNOWN,
    "Mutual discovery unknown: our platform serves our endpoint, so the app could not see"
    " whether the partner fetched it.",
    "Check our platform's logs for the partner's calls to our versions and details.",
    "discovery not seen",
)
NOT_VERIFIED = Finding(
    "reg.not_verified",
    UNKNOWN,
    "TOKEN_C has not been confirmed: no call with it has succeeded yet.",
    "Run Check connection.",
    "not confirmed",
)
SANDBOX_NOT_RUNNING = Finding(
    "sandbox.not_running",
    FAILING,
    "The sandbox partner is not running any more, so nothing answers at its address now: a"
    " sandbox partner lives only inside the app that started it, the demo eMSP only for its"
    " own registration.",
    # a registered row offers Unregister (it ends the row here, nothing to call), not
    # Forget: "or forget this row" named a disabled action (session 22 walk)
    "Start a new one (Sandbox menu, or Invite partner for the demo eMSP); Unregister ends"
    " this row here without calling it.",
    "sandbox not running",
)
# the same for a registration that never completed: such a row offers Forget
SANDBOX_NOT_RUNNING_PENDING = replace(
    SANDBOX_NOT_RUNNING,
    hint="Start a new one (Sandbox menu, or Invite partner for the demo eMSP), or forget this row.",
)


def verify_failed(message: str) -> Finding:
    return Finding(
        "reg.verify_failed",
        WARNING,
        f"Registered, but the first call with TOKEN_C failed: {message}",
        "Run Check connection; if it keeps failing, send the transcript to the partner.",
        "TOKEN_C not confirmed",
    )


def check_failed(diagnosis: Mapping[str, Any]) -> Finding:
    code = str(diagnosis.get("code") or "check.failed")
    if code in REFUSED_CODES:
        return token_c_refused("last check")
    return Finding(
        code,
        FAILING,
        f"The last connection check failed: {diagnosis.get('message') or code}",
        str(diagnosis.get("hint") or "Run Check connection again later."),
        "check failed",
    )


def run_failed(run: RunRecord | None) -> Finding:
    diagnosis = (run.diagnosis if run is not None else None) or {}
    code = str(diagnosis.get("code") or "reg.failed")
    hint = str(diagnosis.get("hint") or "Retry with the partner's TOKEN_A, or forget this row.")
    if code == "reg.cancelled" and run is not None:
        # said from the run's kind, not the stored words: older vaults hold "Retry when
        # ready" for a cancelled invitation, whose receiver row has no Retry
        hint = cancelled_hint(run.kind)
    return Finding(
        code,
        FAILING,
        str(diagnosis.get("message") or "The registration did not complete."),
        hint,
    )


def run_unfinished(run: RunRecord) -> Finding:
    return Finding(
        "run.unfinished",
        WARNING,
        f"The {run.kind} run stopped at '{run.state}' and never finished.",
        "Resume it, or forget this row (its tokens are retired).",
        "unfinished",
    )


FORGOTTEN = Finding(
    "row.forgotten",
    UNKNOWN,
    "Forgotten: the tokens this row held are retired; nothing was sent to the partner.",
    "Onboard the partner again (with a new TOKEN_A) when needed.",
    "forgotten",
)


def run_cancelled(run: RunRecord) -> Finding:
    what = "invitation" if run.kind == "invite" else "registration"
    return Finding(
        "run.cancelled",
        WARNING,
        f"The {what} was cancelled before it completed; nothing is registered.",
        "Retry when ready (an unspent TOKEN_A is filled in), or forget this row."
        if run.kind != "invite"
        else cancelled_hint(run.kind),
        "cancelled",
    )


IN_PROGRESS = Finding(
    "run.in_progress",
    UNKNOWN,
    "A wizard is registering with this partner right now.",
    "Finish or cancel the wizard.",
    "in progress",
)
WAITING = Finding(
    "invite.waiting",
    UNKNOWN,
    "Waiting for the partner to register with the TOKEN_A we issued.",
    "Send the partner our versions URL and TOKEN_A.",
    "waiting",
)


# ---- the judgement -------------------------------------------------------------------------
def _newer(a: RunRecord | None, b: RunRecord | None) -> RunRecord | None:
    if a is None:
        return b
    if b is None:
        return a
    return b if b.updated > a.updated else a


def _verification(run: RunRecord) -> tuple[str, str, str]:
    """(status, code, message) of a registration's first call with TOKEN_C.

    status: "passed" | "failed" | "skipped". Reads the recorded `verify` (newer runs) or
    derives it from the state and warning codes (runs recorded before it existed).
    """
    verify = run.data.get("verify")
    if isinstance(verify, dict):
        return (
            str(verify.get("status") or "skipped"),
            str(verify.get("code") or ""),
            str(verify.get("message") or ""),
        )
    if run.state == "verified":
        return "passed", "", ""
    codes = [str(c) for c in run.data.get("warnings") or []]
    refused = next((c for c in codes if c in REFUSED_CODES), "")
    if refused:
        return "failed", refused, ""
    if "reg.verify_failed" in codes:
        return "failed", "reg.verify_failed", ""
    return "skipped", "", ""


def _token_c_finding(runs: Mapping[str, RunRecord], base: RunRecord) -> Finding | None:
    """Newest evidence about our outbound token decides (registration, rotation, check)."""
    evidence: list[tuple[str, Finding | None]] = []
    if base.kind == "register":
        status, code, message = _verification(base)
        if status == "passed":
            evidence.append((base.updated, None))
        elif status == "failed":
            found = token_c_refused() if code in REFUSED_CODES else verify_failed(message or code)
            evidence.append((base.updated, found))
        else:
            evidence.append((base.updated, NOT_VERIFIED))
    else:  # an invitation: we fetched the partner's endpoints with the token we present
        evidence.append((base.updated, None))
    rotate = runs.get("rotate")
    if rotate is not None and rotate.outcome == "succeeded" and rotate.updated >= base.updated:
        evidence.append((rotate.updated, None))
    check = runs.get("check")
    if check is not None and check.updated >= base.updated and check.outcome != "running":
        if check.outcome == "succeeded":
            evidence.append((check.updated, None))
        elif check.outcome == "failed":
            evidence.append((check.updated, check_failed(check.diagnosis or {})))
    evidence.sort(key=lambda item: item[0])
    return evidence[-1][1]


def _discovery_finding(base: RunRecord) -> Finding | None:
    if base.kind != "register":
        return None  # as Receiver we fetched theirs; they read ours with TOKEN_A
    mutual = base.data.get("mutual_discovery")
    if mutual == "incomplete":
        return discovery_incomplete(str(base.data.get("discovery_missing") or ""))
    if mutual == "unknown":
        return DISCOVERY_UNKNOWN
    return None


def is_sandbox(runs: Mapping[str, RunRecord]) -> bool:
    """A partner registered with a sandbox this app started (marked in its run's data)."""
    return any(bool(run.data.get("sandbox")) for run in runs.values())


def assess(
    partner: PartnerRecord,
    runs: Mapping[str, RunRecord] | None = None,
    extra: Iterable[Finding] = (),
    active_runs: Collection[str] = (),
) -> Health:
    """The health of one partner from its record and its newest run of each kind.

    `runs` maps a run kind to the newest run of that kind (app.vault.facts.latest_runs);
    `extra` adds findings only the caller can know. Pure: no I/O.
    """
    runs = runs or {}
    findings: list[Finding] = []
    base_level = UNKNOWN
    status = partner.status
    if status == "registered":
        base = _newer(_succeeded(runs.get("register")), _succeeded(runs.get("invite")))
        if base is None:
            findings.append(NOT_VERIFIED)
        else:
            base_level = OK
            for found in (_token_c_finding(runs, base), _discovery_finding(base)):
                if found is not None:
                    findings.append(found)
    elif _forgotten(runs) and status in ("failed", "pending"):
        findings.append(FORGOTTEN)
    elif status == "failed":
        findings.append(run_failed(_newer(runs.get("register"), runs.get("invite"))))
    elif status == "pending":
        latest = _newer(runs.get("register"), runs.get("invite"))
        if latest is not None and latest.outcome == "running" and latest.kind == "invite":
            findings.append(WAITING)
        elif latest is not None and latest.outcome == "running" and latest.id in active_runs:
            findings.append(IN_PROGRESS)
        elif latest is not None and latest.outcome in ("running", "interrupted"):
            findings.append(run_unfinished(latest))
        elif latest is not None and latest.outcome == "cancelled":
            findings.append(run_cancelled(latest))
        elif latest is not None and latest.outcome == "failed":
            findings.append(run_failed(latest))
    findings.extend(extra)
    findings.sort(key=lambda f: -_RANK.get(f.level, 0))
    level = max([base_level, *(f.level for f in findings)], key=lambda lv: _RANK.get(lv, 0))
    return Health(level, tuple(findings), is_sandbox(runs))


def _forgotten(runs: Mapping[str, RunRecord]) -> bool:
    """The row's newest unregister is a local "forget" (app.engine.rows.forget)."""
    local = runs.get("unregister")
    return local is not None and local.state == "forgotten"


def _succeeded(run: RunRecord | None) -> RunRecord | None:
    return run if run is not None and run.outcome == "succeeded" else None


def sandbox_served(
    partner: PartnerRecord, runs: Mapping[str, RunRecord], running: Collection[str]
) -> bool:
    """Whether a sandbox running in this process answers at this partner's address."""
    urls = {partner.versions_url} | {str(r.data.get("versions_url") or "") for r in runs.values()}
    return bool(urls & set(running))


def mark_sandbox_run(vault: Vault, run_id: str) -> None:
    """Mark a run's partner as a sandbox one (the invite wizard's demo partner): it lives
    only inside this app, so once that is gone the row says so."""
    vault.update_run(run_id, data={"sandbox": True})


def partners_health(
    vault: Vault,
    partners: Iterable[PartnerRecord],
    running_sandboxes: Collection[str] = (),
    extra: Callable[[PartnerRecord], Iterable[Finding]] | None = None,
    active_runs: Collection[str] = (),
) -> dict[int, Health]:
    """Health of many partners with one run query; the vault is read, never written.

    `running_sandboxes`: versions URLs of the sandboxes running in this process (a sandbox
    lives only inside the app that started it; the CLI has none). `extra` adds findings per
    partner (the hook for connection checks). `active_runs`: runs an open window drives.
    """
    partners = [p for p in partners if p.id is not None]
    facts = latest_runs(vault, [p.id for p in partners if p.id is not None])
    verdicts: dict[int, Health] = {}
    for partner in partners:
        assert partner.id is not None
        runs = facts.get(partner.id, {})
        more: list[Finding] = list(extra(partner)) if extra is not None else []
        if (
            partner.status in ("registered", "pending")
            and is_sandbox(runs)
            and not sandbox_served(partner, runs, running_sandboxes)
        ):
            more.append(
                SANDBOX_NOT_RUNNING
                if partner.status == "registered"
                else SANDBOX_NOT_RUNNING_PENDING
            )
        verdicts[partner.id] = assess(partner, runs, more, active_runs)
    return verdicts


__all__ = [
    "FAILING",
    "LEVELS",
    "OK",
    "SANDBOX_NOT_RUNNING",
    "SANDBOX_NOT_RUNNING_PENDING",
    "UNKNOWN",
    "WARNING",
    "Finding",
    "Health",
    "assess",
    "is_sandbox",
    "partners_health",
]


def kind_words(run: RunRecord) -> str:
    """A run's kind for a person: Verify is stored as a "check" run marked op=verify (the
    runs table's kinds are fixed), and the log and History said "check" for a Verify."""
    if run.kind == "check" and run.data.get("op") == "verify":
        return "verify"
    return run.kind


def outcome_words(run: RunRecord) -> str:
    """A run's outcome for a person: a registration that stands but does not work (TOKEN_C
    refused, discovery incomplete) reads "succeeded, but …", never a plain "succeeded"."""
    code = str((run.diagnosis or {}).get("code") or "")
    if run.outcome != "succeeded" or not code:
        return run.outcome
    labels = {
        "token.c_rejected": token_c_refused().label,
        "reg.not_registered": token_c_refused().label,
        "reg.verify_failed": verify_failed("").label,
        "reg.discovery_incomplete": discovery_incomplete().label,
    }
    return f"succeeded, but {labels.get(code, 'with a warning')}"
