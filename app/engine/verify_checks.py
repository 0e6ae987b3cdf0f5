"""The verify run's checks as data: stable ids, a title, the spec section and a fix each.

Ids never change meaning (reports are compared over months, docs/verify-checks.md lists
them). A run reports every id of the catalogue that applies to our role, each as pass /
warn / fail / skip, so two runs against the same partner list the same ids in the same
order. A spec section is the OCPI 2.2.1 document (as named in the ocpi/ocpi repository)
and its heading; 2.1.1 and 2.3.0 use the same documents and headings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

CheckStatus = Literal["pass", "warn", "fail", "skip"]
PASS: CheckStatus = "pass"
WARN: CheckStatus = "warn"
FAIL: CheckStatus = "fail"
SKIP: CheckStatus = "skip"
STATUSES: tuple[CheckStatus, ...] = (PASS, WARN, FAIL, SKIP)

# the modules a partner sends us, by our role: an eMSP reads a CPO's locations, sessions,
# cdrs and tariffs (the CPO is SENDER) and pushes tokens to it (the CPO is RECEIVER)
PAGED_MODULES = ("locations", "sessions", "cdrs", "tariffs", "tokens")
EXPECTED_ROLES: dict[str, dict[str, str]] = {
    "EMSP": {
        "locations": "SENDER",
        "sessions": "SENDER",
        "cdrs": "SENDER",
        "tariffs": "SENDER",
        "tokens": "RECEIVER",
    },
    "CPO": {
        "tokens": "SENDER",
        "locations": "RECEIVER",
        "sessions": "RECEIVER",
        "cdrs": "RECEIVER",
        "tariffs": "RECEIVER",
    },
}


COUNTERPART = {"CPO": "EMSP", "EMSP": "CPO"}


def roles_towards(partner_roles: list[str], identity_roles: tuple[str, ...]) -> tuple[str, ...]:
    """Which of our roles this connection serves: the counterpart of the partner's role
    (a CPO partner means we act as eMSP towards it), our identity breaking ties; our
    identity alone when the partner's role says nothing (2.1.1, hubs)."""
    mine = [r.upper() for r in identity_roles]
    implied = [COUNTERPART[r.upper()] for r in partner_roles if r and r.upper() in COUNTERPART]
    if implied:
        picked = [r for r in implied if r in mine] or implied
        return tuple(dict.fromkeys(picked))
    return tuple(mine)


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    spec: str
    fix: str  # plain language; may name {module} for the per-module checks


_T = "OCPI 2.2.1 transport_and_format"
_V = "OCPI 2.2.1 version_information_endpoint"
_C = "OCPI 2.2.1 credentials"
_SPECS: list[CheckSpec] = [
    CheckSpec(
        "versions.reachable",
        "Versions endpoint answers TOKEN_C",
        f"{_V}: Version information endpoint",
        "Ask the partner why their versions endpoint refuses our current token; if they"
        " rotated or re-registered, rotate or register again.",
    ),
    CheckSpec(
        "versions.timestamp",
        "Response timestamp present and clocks agree",
        f"{_T}: Response format (timestamp)",
        "Ask the partner to send a UTC timestamp in every response and to sync their clock"
        " (NTP); more than 300 s of skew breaks date filters and CDR periods.",
    ),
    CheckSpec(
        "versions.unique",
        "Each version listed once",
        f"{_V}: Version class",
        "Ask the partner to list each OCPI version once, with one URL.",
    ),
    CheckSpec(
        "versions.common",
        "Our registered version is still offered",
        f"{_C}: Updating to a newer version",
        "Upgrade with a credentials PUT at the newer version (check --accept-drift after"
        " rotating), or ask the partner to keep offering the registered version.",
    ),
    CheckSpec(
        "details.reachable",
        "Version details answer TOKEN_C",
        f"{_V}: Version details endpoint",
        "Ask the partner to serve the version details of the registered version to our token.",
    ),
    CheckSpec(
        "details.credentials",
        "Credentials module listed",
        f"{_V}: Endpoint class; {_C}",
        "Ask the partner to list the credentials module: without it nobody can rotate or"
        " unregister.",
    ),
    CheckSpec(
        "details.absolute_urls",
        "Every endpoint URL absolute",
        f"{_V}: Endpoint class (url: URL)",
        "Ask the partner to publish absolute https URLs for every module.",
    ),
    CheckSpec(
        "details.unique_modules",
        "No module listed twice with the same role",
        f"{_V}: Endpoint class",
        "Ask the partner to list each (module, role) pair once.",
    ),
    CheckSpec(
        "details.known_modules",
        "Modules known for this version",
        f"{_V}: ModuleID enum",
        "Ask the partner which module they mean; an unknown id is ignored by every platform"
        " (2.3.0 allows custom ids only with a prefix).",
    ),
    CheckSpec(
        "roles.fit",
        "Modules and roles fit our role",
        f"{_V}: InterfaceRole enum",
        "Ask the partner to offer the modules our role needs, with the right role.",
    ),
    CheckSpec(
        "headers.request_ids",
        "X-Request-ID and X-Correlation-ID echoed",
        f"{_T}: Request format (Unique message IDs)",
        "Ask the partner to echo X-Request-ID and X-Correlation-ID in every response:"
        " without them support cannot trace a call across both platforms.",
    ),
    CheckSpec(
        "credentials.agrees",
        "GET credentials agrees with the registration",
        f"{_C}: GET method",
        "The two sides disagree about this connection: compare tokens and roles with the"
        " partner, then rotate (PUT) so both hold the same pair.",
    ),
]
for _module in PAGED_MODULES:
    _M = f"OCPI 2.2.1 mod_{_module}"
    _SPECS += [
        CheckSpec(
            f"page.{_module}",
            f"{_module}: one page (limit=1) decodes",
            f"{_T}: Response format; {_M}: Sender interface GET",
            f"Ask the partner why GET {_module}?limit=1 fails: the list is what we read every day.",
        ),
        CheckSpec(
            f"pagination.{_module}",
            f"{_module}: X-Total-Count, X-Limit and Link agree with the body",
            f"{_T}: Pagination",
            f"Ask the partner to fix the pagination headers of {_module}: with a wrong"
            " X-Total-Count or a missing Link our side stops after the first page.",
        ),
        CheckSpec(
            f"objects.{_module}",
            f"{_module}: objects valid for the version",
            f"{_M}: Object description",
            f"Ask the partner to send {_module} objects with every required field of the version.",
        ),
    ]
_SPECS += [
    CheckSpec(
        "auth.no_token",
        "A request without a token gets 401",
        f"{_T}: Security and authentication",
        "Ask the partner to refuse requests without an Authorization header (401): their"
        " endpoint is open to anyone.",
    ),
    CheckSpec(
        "auth.wrong_token",
        "A request with a wrong token gets 401",
        f"{_T}: Security and authentication",
        "Ask the partner to refuse unknown tokens with 401.",
    ),
    CheckSpec(
        "callback.reachable",
        "Our endpoint answers the token the partner uses",
        f"{_V}: Version information endpoint; {_C}",
        "Make our public URL reachable (reverse proxy, tunnel, firewall) and keep the"
        " partner's token valid on our platform; then ask the partner to retry.",
    ),
]
CATALOGUE: dict[str, CheckSpec] = {spec.id: spec for spec in _SPECS}


@dataclass(frozen=True)
class CheckResult:
    id: str
    status: CheckStatus
    title: str
    spec: str
    detail: str
    fix: str

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "status": self.status,
            "title": self.title,
            "spec": self.spec,
            "detail": self.detail,
            "fix": self.fix,
        }


def result(check_id: str, status: CheckStatus, detail: str, fix: str | None = None) -> CheckResult:
    """A result for a catalogued check; the fix is the catalogue's unless a sharper one is
    given. A passing or skipped check carries no fix (nothing to do)."""
    spec = CATALOGUE[check_id]
    fix_text = "" if status in (PASS, SKIP) else fix or spec.fix
    return CheckResult(check_id, status, spec.title, spec.spec, detail, fix_text)


def applicable_ids(our_roles: tuple[str, ...]) -> list[str]:
    """The ids a run reports, in catalogue order: module checks only for the modules our
    role reads from the partner (as SENDER there)."""
    paged = paged_modules(our_roles)
    out = []
    for check_id in CATALOGUE:
        family, _, module = check_id.partition(".")
        if family in ("page", "pagination", "objects") and module not in paged:
            continue
        out.append(check_id)
    return out


def paged_modules(our_roles: tuple[str, ...]) -> list[str]:
    wanted: list[str] = []
    for role in our_roles:
        for module, their_role in EXPECTED_ROLES.get(role.upper(), {}).items():
            if their_role == "SENDER" and module not in wanted:
                wanted.append(module)
    return [m for m in PAGED_MODULES if m in wanted]


@dataclass
class VerifyReport:
    """A verify run's outcome; `to_json` is the CLI contract (docs/cli-contract.md)."""

    peer: dict[str, Any]  # country_code, party_id, roles: as register and check print it
    ocpi_version: str | None
    checks: list[CheckResult]
    run_id: str

    @property
    def summary(self) -> dict[str, int]:
        return {s: sum(1 for c in self.checks if c.status == s) for s in STATUSES}

    @property
    def ok(self) -> bool:
        return not any(c.status == FAIL for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "ocpi_version": self.ocpi_version,
            "checks": [c.to_json() for c in self.checks],
            "summary": self.summary,
            "run_id": self.run_id,
        }
