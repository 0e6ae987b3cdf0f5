"""Diagnoses of a partner's answer: its shape, its OCPI status, its versions."""

from __future__ import annotations

from app.core.catalog.entry import Entry, Severity

ENTRIES: dict[str, Entry] = {
    "ocpi.not_json": Entry(
        "The partner answered with something that is not JSON ({detail}).",
        "The URL may point at a web page or a proxy; check it with the partner.",
    ),
    "ocpi.html_page": Entry(
        "The partner answered with an HTML page (HTTP {detail}), not OCPI JSON: a login page, a proxy error or a wrong URL.",
        "Check the URL with the partner; a login page means the request never reached OCPI.",
    ),
    "ocpi.no_envelope": Entry(
        "The partner answered JSON without the OCPI envelope (no status_code).",
        "The URL may not be an OCPI endpoint, or the partner's platform is not OCPI compliant.",
    ),
    "ocpi.framework_error": Entry(
        "The partner's web framework rejected the request (HTTP {detail}) before OCPI handled it.",
        "Send the transcript to the partner; their server reported a validation or routing error.",
    ),
    "ocpi.status_error": Entry(
        "The partner answered OCPI status {detail}.",
        "Read the partner's status message in the transcript and contact them with it.",
    ),
    "ocpi.invalid_params": Entry(
        "The partner rejected our credentials as invalid (OCPI 2001): {detail}.",
        "Check our identity (country code, party id, roles) and URL; the transcript has their message.",
    ),
    "ocpi.http_error": Entry(
        "The partner answered HTTP {detail}.",
        "The transcript shows their answer; send it to the partner.",
    ),
    "ocpi.not_found": Entry(
        "The partner's server has nothing at this URL (HTTP 404).",
        "Check the URL with the partner: a path segment or the version may be wrong.",
    ),
    "ocpi.server_error": Entry(
        "The partner's server failed (HTTP {detail}).",
        "Try again later; nothing was registered if this happened before TOKEN_C arrived.",
    ),
    "ocpi.bad_data": Entry(
        "The partner's answer does not match the OCPI {detail}.",
        "Send the transcript to the partner; their payload breaks the spec.",
    ),
    "ocpi.versions_empty": Entry(
        "The partner's versions list is empty.",
        "Ask the partner to publish the OCPI versions they support.",
    ),
    "ocpi.versions_is_details": Entry(
        "The URL returned version details (a list of endpoints), not the versions list.",
        "Use the partner's versions URL, one level up from the version-specific one.",
    ),
    "ocpi.no_mutual_version": Entry(
        "The partner and this app share no OCPI version (they offer {detail}).",
        "This app speaks 2.1.1, 2.2.1 and 2.3.0; ask the partner to enable one of them.",
    ),
    "ocpi.no_credentials_endpoint": Entry(
        "The partner's version details list no credentials endpoint.",
        "Without it there is nothing to register with; ask the partner to expose credentials.",
    ),
    "ocpi.details_version_mismatch": Entry(
        "The partner's version details say version {detail}, not the one negotiated.",
        "Usually harmless; the app continues with the negotiated version.",
        Severity.WARNING,
    ),
    "ocpi.unsupported_version_3002": Entry(
        "The partner says it does not support our version (OCPI 3002).",
        "Check which versions both sides publish; the partner may need to enable one.",
    ),
    "ocpi.missing_endpoints_3003": Entry(
        "The partner says modules it needs are missing from our endpoints (OCPI 3003).",
        "Compare the modules our version details publish with what the partner requires.",
    ),
    "ocpi.callback_failed_3001": Entry(
        "The partner could not call back our endpoints with TOKEN_B (OCPI 3001).",
        "Make sure our versions URL is reachable from the partner and accepts TOKEN_B.",
    ),
    "ocpi.tolerated": Entry(
        "The partner's answer deviates from OCPI ({detail}); the app read it anyway.",
        "Send this line to the partner: a stricter client would refuse that answer.",
        Severity.WARNING,
    ),
    "ocpi.redirect_warning": Entry(
        "The partner redirected {detail}; followed within the same origin.",
        "Use the final URL to save a round trip.",
        Severity.WARNING,
    ),
}
