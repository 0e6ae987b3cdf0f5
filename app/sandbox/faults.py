"""The sandbox's fault names and demo identity, apart from the server so that the GUI and
the CLI's argument checks load them without aiohttp (issue 13)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Fault(StrEnum):
    """Ways the sandbox misbehaves on purpose; values are the CLI's --fault names."""

    NONE = "none"
    PLAIN_TOKEN = "plain-token"  # wants the raw token where 2.2+ wants Base64
    BASE64_TOKEN = "base64-token"  # wants Base64 where 2.1.1 wants the raw token
    UNAUTHORIZED_AFTER = "401-after-registration"  # rejects the TOKEN_C it issued
    TOKEN_C_EQUALS_B = "token-c-equals-b"  # answers with our TOKEN_B as TOKEN_C
    NO_CALLBACK = "no-callback"  # never fetches our versions/details
    SLOW = "slow"  # every answer delayed
    HTML_500 = "html-500"  # POST answered 500 with an HTML page
    MALFORMED_JSON = "malformed-json"  # POST answered with broken JSON
    OCPI_2001 = "ocpi-2001"  # POST answered HTTP 200 carrying OCPI 2001
    ALREADY_REGISTERED = "already-registered"  # POST answered 405
    CALLBACK_WITH_TOKEN_A = "callback-with-token-a"  # calls us back with TOKEN_A, not TOKEN_B
    DETAILS_ONLY = "details-without-credentials"  # version details lack credentials
    # after registration (verify and check rehearsals; what each changes: app/sandbox/modules.py)
    NO_REQUEST_ID_ECHO = "no-request-id-echo"  # responses drop X-Request-ID/X-Correlation-ID
    MISSING_MODULE = "missing-module"  # tariffs not offered
    OPEN_ENDPOINT = "open-endpoint"  # answers a request without any token
    LYING_PAGINATION = "lying-pagination"  # X-Total-Count/X-Limit/Link disagree with the body
    WRONG_ROLE = "wrong-role"  # modules listed with the eMSP's roles
    DRIFT_ENDPOINT = "drift-endpoint"  # once registered: locations moves
    DRIFT_MODULE = "drift-module"  # once registered: tariffs dropped
    DRIFT_VERSION = "drift-version"  # once registered: a newer version offered


# What each rehearsal does, in a person's words (the Sandbox menu's tips)
FAULT_NOTES: dict[Fault, str] = {
    Fault.PLAIN_TOKEN: "The partner wants the raw token where OCPI 2.2+ sends it in Base64.",
    Fault.BASE64_TOKEN: "The partner wants Base64 where OCPI 2.1.1 sends the raw token.",
    Fault.UNAUTHORIZED_AFTER: "The partner refuses the TOKEN_C it issued (401).",
    Fault.TOKEN_C_EQUALS_B: "The partner answers with our own TOKEN_B as its TOKEN_C.",
    Fault.NO_CALLBACK: "The partner never fetches our versions and version details.",
    Fault.SLOW: "Every answer of the partner comes late.",
    Fault.HTML_500: "The registration is answered 500 with an HTML page.",
    Fault.MALFORMED_JSON: "The registration is answered with broken JSON.",
    Fault.OCPI_2001: "The registration is answered HTTP 200 carrying OCPI status 2001.",
    Fault.ALREADY_REGISTERED: "The registration is answered 405: already registered.",
    Fault.CALLBACK_WITH_TOKEN_A: "The partner calls us back with TOKEN_A instead of TOKEN_B.",
    Fault.DETAILS_ONLY: "The partner's version details list no credentials endpoint.",
    Fault.NO_REQUEST_ID_ECHO: "The partner's answers drop X-Request-ID and X-Correlation-ID.",
    Fault.MISSING_MODULE: "The partner does not offer the tariffs module.",
    Fault.OPEN_ENDPOINT: "The partner answers a request that carries no token.",
    Fault.LYING_PAGINATION: "X-Total-Count, X-Limit and Link disagree with the body.",
    Fault.WRONG_ROLE: "The partner lists its modules with the eMSP's roles.",
    Fault.DRIFT_ENDPOINT: "Once registered, the partner moves its locations endpoint.",
    Fault.DRIFT_MODULE: "Once registered, the partner drops the tariffs module.",
    Fault.DRIFT_VERSION: "Once registered, the partner offers a newer OCPI version.",
}

DEMO_IDENTITY: dict[str, Any] = {
    "role": "CPO",
    "country_code": "NL",
    "party_id": "SBX",
    "business_details": {
        "name": "Sandbox Charging (demo partner)",
        "website": "https://example.com",
    },
}
