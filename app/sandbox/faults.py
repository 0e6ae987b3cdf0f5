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


DEMO_IDENTITY: dict[str, Any] = {
    "role": "CPO",
    "country_code": "NL",
    "party_id": "SBX",
    "business_details": {
        "name": "Sandbox Charging (demo partner)",
        "website": "https://example.com",
    },
}
