"""One page of a partner's module (locations, tariffs, ...) with TOKEN_C: the module call
where the profile's routing headers and page limit apply.

A read-only check run of its own (kind "check"), recorded like any other run. Versions,
details and credentials never carry routing headers; module calls carry them when the
partner's profile says `routing_headers = true` (hubs route on them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from app.core.diagnosis import OnboardingError, diagnose
from app.core.events import StepDone, StepStarted
from app.core.judging import Response, judge_in_context, tolerated
from app.core.ocpi import uses_base64_header
from app.engine.context import EngineContext
from app.engine.operation import Operation


@dataclass
class ModulePage:
    status: int
    objects: list[Any] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    run_id: str = ""


def _module_url(endpoints: list[dict[str, Any]], module: str, role: str | None) -> str | None:
    for endpoint in endpoints:
        if str(endpoint.get("identifier", "")).lower() != module.lower():
            continue
        if role and endpoint.get("role") and str(endpoint["role"]).upper() != role.upper():
            continue
        return str(endpoint.get("url"))
    return None


async def fetch_module_page(
    engine: EngineContext, ref: int | str, module: str, role: str | None = "SENDER"
) -> ModulePage:
    """GET the first page of `module` (limit = the profile's page limit, if any)."""
    await engine.start()
    op = Operation(engine, ref, "check")
    try:
        url = _module_url(op.partner.endpoints, module, role)
        if url is None:
            raise OnboardingError(diagnose("ocpi.missing_endpoints_3003", module))
        query = {"offset": 0, **({"limit": op.profile.page_limit} if op.profile.page_limit else {})}
        target = f"{url}{'&' if '?' in url else '?'}{urlencode(query)}"
        op.recorder.emit(
            StepStarted(f"GET one page of {module} from {op.partner.ref}", step="module")
        )
        version = op.partner.ocpi_version
        result = await op.http.send(
            "GET",
            target,
            token=op.outbound,
            base64_token=uses_base64_header(version)
            if op.encoding.mode == "auto"
            else op.encoding.mode == "base64",
            ocpi_headers=True,
            module_call=True,
        )
        envelope = judge_in_context(
            Response(result.status, result.body, result.content_type), "check"
        )
        for warning in tolerated(envelope, f"GET {module}"):
            op.recorder.diagnosis(warning)
        objects = envelope.data if isinstance(envelope.data, list) else []
        op.vault.update_run(op.run.id, state="module_fetched", outcome="succeeded")
        op.recorder.emit(
            StepDone(f"{module}: {len(objects)} objects on the first page", step="module")
        )
        return ModulePage(result.status, objects, result.headers, op.run.id)
    except OnboardingError as exc:
        op.failed(exc.diagnosis)
        raise
    finally:
        await op.close()
