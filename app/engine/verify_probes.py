"""verify's probes beyond reading: requests without a valid token, and a call to us.

`probe_auth` asks the partner's credentials endpoint and one module page without a token
and with a made-up one (only with --probe-auth; a 401 is the right answer), so an endpoint
that serves data to anyone is found. `probe_callback` calls our own versions endpoint with
the token the partner holds, as the partner would. Both add their checks to the run.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from app.core.diagnosis import OnboardingError
from app.core.http import OcpiHttp, cannot_call_back
from app.core.ocpi import parse_envelope, uses_base64_header
from app.core.tokens import Secret, TokenRole
from app.engine import verify_judges as J
from app.engine.verify_checks import FAIL, PASS, WARN, paged_modules

if TYPE_CHECKING:
    from app.engine.verify import VerifyRun


async def probe_auth(run: VerifyRun, endpoints: list[dict[str, Any]]) -> None:
    """auth.no_token / auth.wrong_token: the partner's credentials endpoint and one module page
    asked without a token and with a made-up one (only with --probe-auth)."""
    ids = ["auth.no_token", "auth.wrong_token"]
    if not run.probe_auth:
        run.skip(ids, "Not probed: run with --probe-auth (two requests without valid credentials).")
        return
    targets = [str(e.get("url")) for e in endpoints if J.module_id(e) == "credentials"]
    targets += [
        run.paged_url(str(e.get("url")))
        for e in endpoints
        if J.module_id(e) in paged_modules(run.our_roles)
        and str(e.get("role") or "SENDER").upper() == "SENDER"
    ][:1]
    if not targets:
        run.skip(ids, "No credentials or module endpoint known to probe.")
        return
    wrong = Secret("verify-probe-" + secrets.token_hex(12), TokenRole.C)
    run.op.recorder.add_secret(wrong)
    base64 = uses_base64_header(run.version)
    for check_id, token in (("auth.no_token", None), ("auth.wrong_token", wrong)):
        statuses: list[tuple[str, int | None, str | None]] = []
        for url in targets:
            try:
                http = await run.op.http.send(
                    "GET", url, token=token, base64_token=base64, ocpi_headers=base64
                )
            except OnboardingError as exc:
                statuses.append((url, None, exc.diagnosis.code))
                continue
            statuses.append((url, http.status, None))
        opened = [u for u, s, _ in statuses if s is not None and s < 300]
        other = [
            f"HTTP {s}" for _, s, _ in statuses if s is not None and s not in (401,) and s >= 300
        ]
        what = "without a token" if token is None else "with a wrong token"
        names = ", ".join(_path_tail(u) for u in opened)
        if opened:
            run.put(
                check_id,
                FAIL,
                f"{names} answered {what} with data.",
                f"The partner's {names} endpoint answers {what}: ask them to refuse it with"
                " 401 before anyone reads their data.",
            )
        elif other:
            run.put(check_id, WARN, f"Refused {what}, but with {', '.join(other)} instead of 401.")
        elif all(s == 401 for _, s, _ in statuses):
            run.put(check_id, PASS, f"{len(statuses)} request(s) {what} refused with 401.")
        else:
            run.put(check_id, WARN, f"The probe {what} got no answer.")


async def probe_callback(run: VerifyRun) -> None:
    """callback.reachable: our own versions endpoint answers the token the partner holds."""
    check_id = "callback.reachable"
    inbound = run.engine.inbound_token(run.partner)
    if inbound is None:
        run.put(check_id, FAIL, "We hold no active token for the partner to call us with.",
                 "Rotate (PUT) to issue the partner a new token for our endpoint.")  # fmt: skip
        return
    _cred_id, token = inbound
    run.op.recorder.add_secret(token)
    url = run.engine.our_versions_url
    http = OcpiHttp(
        run.op.client,
        run.op.recorder.transcript,
        run.engine.http_settings,
        run.op.recorder.emit,
    )
    base64 = uses_base64_header(run.version)
    try:
        answer = await http.send("GET", url, token=token, base64_token=base64, ocpi_headers=base64)
        envelope = parse_envelope(answer.body, answer.status, answer.content_type)
    except OnboardingError as exc:
        run.put(
            check_id,
            FAIL,
            f"GET our versions {url} with {token.fingerprint}: {exc.diagnosis.message}",
        )
        return
    if answer.status != 200 or not envelope.ok:
        run.put(
            check_id,
            FAIL,
            f"GET our versions with {token.fingerprint}: HTTP {answer.status}, OCPI {envelope.status_code}.",
        )
        return
    ours, theirs = urlsplit(url).hostname, urlsplit(run.partner.versions_url).hostname
    if cannot_call_back(ours, theirs):
        run.put(
            check_id,
            WARN,
            f"Our endpoint answers {token.fingerprint} at {url}, a loopback address the"
            " partner cannot reach.",
            "Set a public URL (reverse proxy or tunnel) in the settings and rotate, so the"
            " partner learns it.",
        )
        return
    run.put(check_id, PASS, f"Our endpoint at {url} answers {token.fingerprint} with OCPI 1000.")


def _path_tail(url: str) -> str:
    parts = [p for p in urlsplit(url).path.split("/") if p]
    return parts[-1] if parts else url
