"""The token traps: TOKEN_A/B/C rejected, confused, reused or wrongly encoded."""

from __future__ import annotations

from app.core.catalog.entry import Entry, Severity

ENTRIES: dict[str, Entry] = {
    "token.a_rejected": Entry(
        "The partner rejected TOKEN_A (HTTP 401).",
        "Check the token with the partner; if it is right, try the other header encoding (Base64 or plain).",
        Severity.ERROR,
        True,
    ),
    "token.a_reused": Entry(
        "TOKEN_A already used: this partner's TOKEN_A was spent on a registration and is dead.",
        "Use the stored TOKEN_C for this partner, or ask them for a new TOKEN_A.",
        Severity.ERROR,
        True,
    ),
    "token.a_spent_by_partner": Entry(
        "The partner refused TOKEN_A because it was already used for a registration.",
        "We may be registered already: check the partner with TOKEN_C, or ask for a new TOKEN_A.",
        Severity.ERROR,
        True,
    ),
    "token.encoding_base64_expected": Entry(
        "The partner sent the token in plain text where OCPI {detail} wants it Base64-encoded.",
        "Accepted for now; tell the partner their Authorization header should be Base64 for 2.2+.",
        Severity.WARNING,
        True,
    ),
    "token.encoding_plain_expected": Entry(
        "The partner sent the token Base64-encoded where OCPI 2.1.1 wants it in plain text.",
        "Accepted for now; tell the partner 2.1.1 expects the raw token in the header.",
        Severity.WARNING,
        True,
    ),
    "token.encoding_switched": Entry(
        "The partner accepted the token only in {detail} form, where OCPI {version} sends it"
        " {wanted}; this partner will be addressed that way.",
        # not "Nothing to do" under a warning banner (session 23 walk): the partner departs
        # from OCPI, which is theirs to fix; the app copes meanwhile
        "Accepted: the form is stored with the partner. Tell the partner that OCPI {version}"
        " wants the token {wanted} in the Authorization header.",
        Severity.WARNING,
        True,
    ),
    "token.bearer_scheme": Entry(
        "The partner used 'Bearer' instead of OCPI's 'Token' header scheme.",
        "Accepted; tell the partner OCPI says 'Authorization: Token ...'.",
        Severity.WARNING,
        True,
    ),
    "token.c_equals_b": Entry(
        "TOKEN_B and TOKEN_C confused: the partner answered with our own TOKEN_B as their TOKEN_C.",
        "The partner must generate a new TOKEN_C; using TOKEN_B towards them would 401 in production.",
        Severity.ERROR,
        True,
    ),
    "token.c_equals_a": Entry(
        "The partner answered with TOKEN_A as TOKEN_C: TOKEN_A must die after registration.",
        "Ask the partner to issue a fresh TOKEN_C; TOKEN_A travelled over an unsafe channel.",
        Severity.ERROR,
        True,
    ),
    "token.c_invalid": Entry(
        "The partner's TOKEN_C is {detail}.",
        "OCPI tokens are 1 to 64 printable ASCII characters; the partner must send a valid one.",
        Severity.ERROR,
        True,
    ),
    "token.c_rejected": Entry(
        "The partner rejects TOKEN_C (HTTP 401) right after issuing it.",
        "The partner may have stored TOKEN_B in its place (B/C confusion) or expects the other encoding.",
        Severity.ERROR,
        True,
    ),
    "token.b_used_as_c": Entry(
        "TOKEN_B and TOKEN_C confused: the partner called us with TOKEN_{detail}, the token we present to them, instead of the one we issued.",
        "Each side presents the token the other side issued: the partner must call us with our token, not theirs.",
        Severity.ERROR,
        True,
    ),
    "token.a_used_in_callback": Entry(
        "The partner called back with TOKEN_A instead of the TOKEN_B we sent them.",
        "The partner must use the token from our credentials (TOKEN_B) when calling our endpoints.",
        Severity.ERROR,
        True,
    ),
    "token.unknown_inbound": Entry(
        "A call to our endpoint carried an unknown token.",
        "If this is the partner, they may be using an old or mistyped token.",
        Severity.WARNING,
        True,
    ),
    "token.missing_inbound": Entry(
        "A call to our endpoint carried no Authorization header.",
        "The partner must send 'Authorization: Token ...' on every OCPI request.",
        Severity.WARNING,
        True,
    ),
    "inbound.refused": Entry(
        "A call to our endpoint was refused (HTTP {detail}).",
        "405: OCPI allows GET on versions and details, GET/POST/PUT/DELETE on credentials;"
        " 413: a credentials body over 64 KiB; 429: too many calls with unknown tokens.",
        Severity.WARNING,
    ),
}
