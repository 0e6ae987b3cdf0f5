"""The scaffolding every run on a registered partner shares (check, rotate, unregister,
verify, a module page): its vault run, recorder, HTTP client with the partner's profile,
judged requests with the current outbound token, and the failed result."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from app.core.diagnosis import Diagnosis, OnboardingError, diagnose
from app.core.events import Level, StepFailed
from app.core.handshake import Request
from app.core.http import OcpiHttp, make_client
from app.core.judging import Response, judge_in_context, tolerated
from app.core.ocpi import Envelope
from app.core.runner import EncodingChoice, send_with_encoding
from app.core.tokens import Secret
from app.engine.context import EngineContext, internal_failure, peer_key
from app.engine.partner_profile import apply_to_http, settings_for, stored_profile
from app.engine.results import RunResult
from app.vault import PartnerRecord


def peer_of(partner: PartnerRecord) -> dict[str, object]:
    return {
        "country_code": partner.country_code,
        "party_id": partner.party_id,
        "roles": [r.get("role") for r in partner.roles if r.get("role")],
    }


def credentials_url(partner: PartnerRecord) -> str | None:
    for endpoint in partner.endpoints:
        if str(endpoint.get("identifier", "")).lower() == "credentials":
            return str(endpoint.get("url"))
    return None


class Operation:
    """Shared scaffolding of a management run: vault run, recorder, HTTP client."""

    def __init__(self, engine: EngineContext, ref: int | str, kind: str) -> None:
        self.engine = engine
        self.vault = engine.vault
        self.partner = engine.partner(ref)
        assert self.partner.id is not None
        self.kind = kind
        self.key = peer_key(self.partner.id)
        self.out_id, self.outbound = engine.outbound_token(self.partner)
        inbound = engine.inbound_token(self.partner)
        self.in_id: int | None = inbound[0] if inbound else None
        self.inbound: Secret | None = inbound[1] if inbound else None
        self.run = self.vault.start_run(kind, self.partner.id, state="new")
        secrets = [s for s in (self.outbound, self.inbound) if s is not None]
        self.recorder = engine.recorder(
            self.run.id, self.key, secrets, kind=kind, partner_id=self.partner.id
        )
        self.encoding = EncodingChoice(self.partner.token_encoding or "auto")
        self.profile = stored_profile(self.vault, self.partner)
        settings = settings_for(engine.http_settings, self.profile)  # mTLS from the vault copy
        self.client = make_client(settings)
        self.http = OcpiHttp(self.client, self.recorder.transcript, settings, self.recorder.emit)
        apply_to_http(engine, self.http, self.partner, self.profile)
        self.warnings: list[Diagnosis] = []  # deviations tolerated in the partner's answers

    async def close(self) -> None:
        await self.client.aclose()
        self.engine.release(self.key)

    async def send(
        self, url: str, version: str | None, method: str = "GET", context: str = "check"
    ) -> Envelope:
        """One request with the current outbound token, judged for this operation."""
        request = Request(self.kind, method, url, self.outbound.role, None, version)
        result = await send_with_encoding(self.http, request, self.outbound, self.encoding)
        envelope = judge_in_context(
            Response(result.status, result.body, result.content_type), context
        )
        for warning in tolerated(envelope, f"{method} {context}"):
            warning = self.recorder.transcript.redactor.diagnosis(warning)
            self.recorder.diagnosis(warning)
            self.warnings.append(warning)
        return envelope

    async def get(self, url: str, version: str | None) -> Envelope:
        return await self.send(url, version)

    def result(
        self, status: str, version: str | None, warnings: list[Diagnosis] | None = None
    ) -> RunResult:
        return RunResult(
            status,
            self.run.id,
            kind=self.kind,
            partner_id=self.partner.id,
            peer=peer_of(self.partner),
            ocpi_version=version,
            token_c_fingerprint=self.outbound.fingerprint if status == "ok" else None,
            warnings=warnings or [],
        )

    async def guard(
        self, body: Callable[[], Awaitable[RunResult]], cancelled_outcome: str = "cancelled"
    ) -> RunResult:
        """Run an operation's body: every failure becomes a failed result with its
        diagnosis (never a traceback); cancellation is recorded, then re-raised."""
        try:
            return await body()
        except OnboardingError as exc:
            return self.failed(exc.diagnosis)
        except asyncio.CancelledError:
            self.failed(diagnose("reg.cancelled"), cancelled_outcome)
            raise
        except Exception as exc:
            return self.failed(internal_failure(exc).diagnosis)
        finally:
            await self.close()

    def failed(self, diagnosis: Diagnosis, outcome: str = "failed") -> RunResult:
        diagnosis = self.recorder.transcript.redactor.diagnosis(diagnosis)  # echoed tokens
        self.vault.update_run(self.run.id, outcome=outcome, diagnosis=diagnosis.to_dict())
        self.recorder.emit(
            StepFailed(diagnosis.message, Level.ERROR, step=self.kind, diagnosis=diagnosis)
        )
        return RunResult(
            "failed",
            self.run.id,
            kind=self.kind,
            partner_id=self.partner.id,
            peer=peer_of(self.partner),
            ocpi_version=self.partner.ocpi_version,
            diagnosis=diagnosis,
        )
