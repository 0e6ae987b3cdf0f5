"""Plain data the engine takes and gives: our identity, callback settings, run results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from app.core.diagnosis import Diagnosis, OnboardingError
from app.core.tokens import Secret

CallbackMode = Literal["embedded", "external"]
# The engine also runs without an endpoint for commands that only call out (`check`):
# "client" is never a setting, so it is not a CallbackMode.
EngineMode = Literal["embedded", "external", "client"]
# Whether the partner called our versions and details endpoints during the handshake.
MutualDiscovery = Literal["complete", "incomplete", "unknown"]


@dataclass(frozen=True)
class Identity:
    """Who we are towards partners; sent upper-case (docs/ocpi-facts.md, fact 13)."""

    country_code: str
    party_id: str
    roles: tuple[str, ...] = ("CPO",)
    business_name: str = ""
    website: str | None = None
    hub_party_id: str | None = None

    def validate(self) -> None:
        # Here, not at the top: app.core.inputs pulls httpx and pydantic, and the GUI's
        # partners list (RunResult, the progress channel) must draw without them (issue 13).
        from app.core.inputs import check_identity

        problems = check_identity(self.country_code, self.party_id, list(self.roles))
        if problems:
            raise OnboardingError(problems[0])

    def credentials_roles(self) -> list[dict[str, Any]]:
        details: dict[str, Any] = {
            "name": self.business_name or f"{self.country_code.upper()}-{self.party_id.upper()}"
        }
        if self.website:
            details["website"] = self.website
        seen: list[dict[str, Any]] = []
        for role in dict.fromkeys(r.upper() for r in self.roles):
            seen.append(
                {
                    "role": role,
                    "business_details": details,
                    "party_id": self.party_id.strip().upper(),
                    "country_code": self.country_code.strip().upper(),
                }
            )
        return seen


@dataclass(frozen=True)
class CallbackSettings:
    """Where our versions endpoint lives during registration: embedded or external
    (docs/cli-contract.md)."""

    mode: EngineMode = "embedded"
    listen_host: str = "127.0.0.1"
    listen_port: int = 0
    public_url: str | None = None
    own_versions_url: str | None = None  # external mode
    token_b: Secret | None = None  # external mode: the TOKEN_B provisioned on our platform
    ssl_context: Any = None  # embedded endpoint over HTTPS (may require client certificates)


@dataclass
class Discovery:
    """What the Sender learnt from the partner before registering."""

    versions: list[str]
    chosen_version: str | None
    modules: list[tuple[str, str | None, str]]
    credentials_url: str | None
    warnings: list[Diagnosis] = field(default_factory=list)


@dataclass
class RunResult:
    """The outcome of a run; `to_json` is the CLI's contract (docs/cli-contract.md)."""

    status: str  # "registered" | "failed" | "ok" (rotate/check/unregister)
    run_id: str
    kind: str = "register"
    partner_id: int | None = None
    peer: dict[str, Any] | None = None
    ocpi_version: str | None = None
    token_c_fingerprint: str | None = None
    mutual_discovery: str = "unknown"  # a MutualDiscovery
    diagnosis: Diagnosis | None = None
    warnings: list[Diagnosis] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in ("registered", "ok", "rotated", "unregistered", "cleaned", "waiting")

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "peer": self.peer,
            "ocpi_version": self.ocpi_version,
            "token_c_fingerprint": self.token_c_fingerprint,
            "mutual_discovery": self.mutual_discovery,
            "diagnosis": self.diagnosis.to_dict() if self.diagnosis else None,
            "run_id": self.run_id,
            "warnings": [w.to_dict() for w in self.warnings],
            **self.extra,
        }


@dataclass
class Invitation:
    """We are the Receiver: what to send the partner out of band."""

    run_id: str
    partner_id: int
    versions_url: str
    token_a: Secret
