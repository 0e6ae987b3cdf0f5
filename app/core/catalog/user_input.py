"""Diagnoses of what the person typed or chose: URLs, tokens, identity, profiles."""

from __future__ import annotations

from app.core.catalog.entry import Entry, Severity

ENTRIES: dict[str, Entry] = {
    "input.url_invalid": Entry(
        "The versions URL is not a valid absolute URL.",
        "Paste the full versions URL the partner sent, starting with https://.",
    ),
    "input.url_insecure": Entry(
        "The versions URL uses plain http:// to a host that is not on this machine.",
        "Ask the partner for their https:// URL, or allow insecure connections for a test host.",
    ),
    "input.url_too_long": Entry(
        "The URL is longer than OCPI's 255 characters.",
        "Check that only the URL was pasted, nothing around it.",
    ),
    "input.version_details_url": Entry(
        "This looks like a version-details URL (it ends in a version number), not the versions list.",
        "Use the partner's versions URL, usually the same address without the version at the end.",
        Severity.WARNING,
    ),
    "input.token_prefix": Entry(
        "The token starts with '{prefix}': that is the header scheme, not part of the token.",
        "Paste only the token value; the app adds 'Token ' itself.",
    ),
    "input.token_whitespace": Entry(
        "The token contains spaces or line breaks.",
        "Copy the token again without surrounding spaces or line breaks.",
    ),
    "input.token_invalid": Entry(
        "The token is empty, longer than 64 characters or has characters OCPI does not allow.",
        "OCPI tokens are 1 to 64 printable ASCII characters; check what was pasted.",
    ),
    "input.token_base64": Entry(
        "The token looks Base64-encoded already; the app encodes it itself for OCPI 2.2 and later.",
        "If the partner sent the header value, decode it once and paste the plain token.",
        Severity.WARNING,
        True,
    ),
    "input.identity_invalid": Entry(
        "Our own identity is incomplete: {detail}.",
        "Set a 2-letter country code, a 3-character party id and at least one role.",
    ),
    "input.version_unsupported": Entry(
        "OCPI version {detail} is not one this app speaks (2.1.1, 2.2.1, 2.3.0).",
        "Pick 2.1.1, 2.2.1 or 2.3.0, or leave the version to negotiation.",
    ),
    "input.client_cert": Entry(
        "The client certificate cannot be used: {detail}.",
        "Give the PEM certificate the partner trusts and its unencrypted PEM private key.",
    ),
    "input.profile": Entry(
        "The partner profile cannot be used: {detail}.",
        "Fix the profile file (profiles show NAME lists every key), or choose a built-in one.",
    ),
}
