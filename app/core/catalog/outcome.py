"""How a run ended: registration, rotation, discovery, profiles, sandbox, internal."""

from __future__ import annotations

from app.core.catalog.entry import Entry, Severity

ENTRIES: dict[str, Entry] = {
    "profile.proposal": Entry(
        "The partner's profile could say {detail}; it was not changed.",
        "Apply it in the partner's profile view, or put it in the profile file you register with.",
        Severity.WARNING,
    ),
    "reg.rotation_needs_token_a": Entry(
        "{detail} rotates by DELETE and a new registration: that needs a fresh TOKEN_A from the"
        " partner. Nothing was sent.",
        "Ask the hub for a new TOKEN_A, then run: rotate PEER --token-a-file FILE (or - for stdin).",
    ),
    "reg.reregister_failed": Entry(
        "The hub accepted our DELETE, but the new registration failed: {detail} Our old"
        " credentials are kept, retired; they no longer work at the hub.",
        "Ask the hub to enable our connection again and to issue a fresh TOKEN_A for"
        " {versions_url}; then run rotate {peer} --token-a-file FILE again.",
    ),
    "partner.roster_changed": Entry(
        "The partner updated its credentials (an inbound PUT): {detail}.",
        "Nothing to do: the new roles and endpoints are stored. Check the partner's detail.",
        Severity.WARNING,
    ),
    "reg.already_registered": Entry(
        "The partner says we are already registered (HTTP 405 on POST).",
        "Rotate credentials with PUT using the stored TOKEN_C, or ask for a new TOKEN_A after they unregister us.",
    ),
    "reg.not_registered": Entry(
        "The partner says we are not registered (HTTP {detail} on {method}).",
        "401 and 405 mean the same here: the partner no longer knows our token. Register again with a new TOKEN_A.",
        Severity.ERROR,
        True,
    ),
    "reg.discovery_incomplete": Entry(
        "Mutual discovery incomplete: the partner never fetched our {detail}, so it cannot push data to us.",
        "Ask the partner to fetch our versions URL with TOKEN_B, or rotate credentials to make them re-fetch.",
        Severity.WARNING,
    ),
    "reg.discovery_unknown": Entry(
        "Mutual discovery unknown: our endpoint is served by our platform, so the app cannot see the partner's calls.",
        "Check in our platform's logs that the partner fetched our versions and details with TOKEN_B.",
        Severity.WARNING,
    ),
    "reg.verify_failed": Entry(
        "Registered, but the check with TOKEN_C failed: {detail}.",
        "TOKEN_C is stored; run Check connection later or ask the partner to confirm.",
        Severity.WARNING,
    ),
    "reg.response_roles": Entry(
        "The partner's credentials are not sane: {detail}.",
        "Send the transcript to the partner.",
    ),
    "reg.preflight_failed": Entry(
        "Our own versions endpoint did not answer OCPI 1000 with TOKEN_B: {detail}.",
        "Fix our endpoint before spending TOKEN_A: the partner calls it during registration.",
    ),
    "reg.cancelled": Entry(
        "The run was cancelled.",
        "Nothing was lost; start again when ready.",
        Severity.WARNING,
    ),
    "reg.invite_timeout": Entry(
        "No partner registered within {detail}.",
        "Check that the partner received our versions URL and TOKEN_A, then wait again.",
    ),
    "sandbox.not_running": Entry(
        "The sandbox partner is not running any more, so nothing answers at {detail} now: a"
        " sandbox partner lives only inside the app that started it, the demo eMSP only for"
        " its own registration.",
        # raised for Check/Verify/Rotate of a registered row and said by the Unregister
        # that ends it: "forget this row" named an action such a row does not offer
        "Start a new one (Sandbox menu, or Invite partner for the demo eMSP); Unregister"
        " ends this row here without calling it.",
    ),
    "reg.unknown_outcome": Entry(
        "The run stopped after the request was sent; whether the partner acted on it is unknown.",
        "Check with the partner; the app kept every token so nothing is lost.",
    ),
    "internal": Entry(
        "Unexpected internal error ({detail}).",
        "Export the transcript and report it; no token is included.",
    ),
}
