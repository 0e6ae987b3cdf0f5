"""Every failure mapped to a stable code, a plain-language explanation and a suggested fix.

Codes are stable strings (tests, the GUI and support rely on them); messages are for
people. `OnboardingError` carries a diagnosis through the engine; its str() is the message,
which is built only from redacted parts, never a raw token.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Diagnosis:
    code: str
    message: str
    hint: str
    severity: Severity = Severity.ERROR
    token_confusion: bool = False
    detail: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "hint": self.hint}

    def as_warning(self) -> Diagnosis:
        return Diagnosis(
            self.code, self.message, self.hint, Severity.WARNING, self.token_confusion, self.detail
        )

    def with_detail(self, detail: str | None) -> Diagnosis:
        return Diagnosis(
            self.code, self.message, self.hint, self.severity, self.token_confusion, detail
        )


class OnboardingError(Exception):
    """A failure the engine explains; never carries a raw token."""

    def __init__(self, diagnosis: Diagnosis) -> None:
        super().__init__(diagnosis.message)
        self.diagnosis = diagnosis


@dataclass(frozen=True)
class _Entry:
    message: str
    hint: str
    severity: Severity = Severity.ERROR
    token_confusion: bool = False


# code -> (plain message, suggested fix). Placeholders {..} are filled by `diagnose`.
CATALOG: dict[str, _Entry] = {
    # --- input typed by the person --------------------------------------------------
    "input.url_invalid": _Entry(
        "The versions URL is not a valid absolute URL.",
        "Paste the full versions URL the partner sent, starting with https://.",
    ),
    "input.url_insecure": _Entry(
        "The versions URL uses plain http:// to a host that is not on this machine.",
        "Ask the partner for their https:// URL, or allow insecure connections for a test host.",
    ),
    "input.url_too_long": _Entry(
        "The URL is longer than OCPI's 255 characters.",
        "Check that only the URL was pasted, nothing around it.",
    ),
    "input.version_details_url": _Entry(
        "This looks like a version-details URL (it ends in a version number), not the versions list.",
        "Use the partner's versions URL, usually the same address without the version at the end.",
        Severity.WARNING,
    ),
    "input.token_prefix": _Entry(
        "The token starts with '{prefix}': that is the header scheme, not part of the token.",
        "Paste only the token value; the app adds 'Token ' itself.",
    ),
    "input.token_whitespace": _Entry(
        "The token contains spaces or line breaks.",
        "Copy the token again without surrounding spaces or line breaks.",
    ),
    "input.token_invalid": _Entry(
        "The token is empty, longer than 64 characters or has characters OCPI does not allow.",
        "OCPI tokens are 1 to 64 printable ASCII characters; check what was pasted.",
    ),
    "input.token_base64": _Entry(
        "The token looks Base64-encoded already; the app encodes it itself for OCPI 2.2 and later.",
        "If the partner sent the header value, decode it once and paste the plain token.",
        Severity.WARNING,
        True,
    ),
    "input.identity_invalid": _Entry(
        "Our own identity is incomplete: {detail}.",
        "Set a 2-letter country code, a 3-character party id and at least one role.",
    ),
    "input.version_unsupported": _Entry(
        "OCPI version {detail} is not one this app speaks (2.1.1, 2.2.1, 2.3.0).",
        "Pick 2.1.1, 2.2.1 or 2.3.0, or leave the version to negotiation.",
    ),
    # --- transport ---------------------------------------------------------------------
    "net.timeout": _Entry(
        "The partner did not answer within {detail}.",
        "Check the URL and that their platform is up; raise the timeout for slow partners.",
    ),
    "net.post_timeout": _Entry(
        "The registration request timed out: the partner may or may not have registered us.",
        "Do not retry with the same TOKEN_A. Ask the partner whether we are registered; if not, ask for a new TOKEN_A.",
    ),
    "net.connect": _Entry(
        "Could not connect to {detail}.",
        "Check the host name and port, the firewall, and that the partner's platform is running.",
    ),
    "net.dns": _Entry(
        "The host name {detail} could not be resolved.",
        "Check the spelling of the URL's host.",
    ),
    "net.tls": _Entry(
        "The partner's TLS certificate could not be verified: {detail}.",
        "Ask the partner to fix their certificate, or give the CA bundle that signs it.",
    ),
    "net.reset": _Entry(
        "The partner closed the connection before a complete answer arrived.",
        "Try again later; if it persists, the partner's server or a proxy in front of it is failing.",
    ),
    "net.body_too_large": _Entry(
        "The partner's answer was larger than {detail}, far more than a handshake needs.",
        "The URL probably points at something other than an OCPI endpoint.",
    ),
    "net.redirect_cross_origin": _Entry(
        "The partner redirected us to another origin ({detail}); the token was not sent there.",
        "Ask the partner for the final URL, or use it yourself if it is theirs.",
    ),
    "net.redirect_loop": _Entry(
        "The partner redirected more than 3 times.",
        "Use the final URL directly; redirects are not part of OCPI.",
    ),
    "net.redirect_write": _Entry(
        "The partner answered a {detail} with a redirect; the request was not repeated.",
        "Ask the partner for the exact credentials URL; write requests are never re-sent.",
    ),
    "net.redirect_downgrade": _Entry(
        "The partner redirected from https to http; refused to protect the token.",
        "Ask the partner to fix their redirect.",
    ),
    # --- answer shape ----------------------------------------------------------------
    "ocpi.not_json": _Entry(
        "The partner answered with something that is not JSON ({detail}).",
        "The URL may point at a web page or a proxy; check it with the partner.",
    ),
    "ocpi.html_page": _Entry(
        "The partner answered with an HTML page (HTTP {detail}), not OCPI JSON: a login page, a proxy error or a wrong URL.",
        "Check the URL with the partner; a login page means the request never reached OCPI.",
    ),
    "ocpi.no_envelope": _Entry(
        "The partner answered JSON without the OCPI envelope (no status_code).",
        "The URL may not be an OCPI endpoint, or the partner's platform is not OCPI compliant.",
    ),
    "ocpi.framework_error": _Entry(
        "The partner's web framework rejected the request (HTTP {detail}) before OCPI handled it.",
        "Send the transcript to the partner; their server reported a validation or routing error.",
    ),
    "ocpi.status_error": _Entry(
        "The partner answered OCPI status {detail}.",
        "Read the partner's status message in the transcript and contact them with it.",
    ),
    "ocpi.invalid_params": _Entry(
        "The partner rejected our credentials as invalid (OCPI 2001): {detail}.",
        "Check our identity (country code, party id, roles) and URL; the transcript has their message.",
    ),
    "ocpi.http_error": _Entry(
        "The partner answered HTTP {detail}.",
        "The transcript shows their answer; send it to the partner.",
    ),
    "ocpi.not_found": _Entry(
        "The partner's server has nothing at this URL (HTTP 404).",
        "Check the URL with the partner: a path segment or the version may be wrong.",
    ),
    "ocpi.server_error": _Entry(
        "The partner's server failed (HTTP {detail}).",
        "Try again later; nothing was registered if this happened before TOKEN_C arrived.",
    ),
    "ocpi.bad_data": _Entry(
        "The partner's answer does not match the OCPI {detail}.",
        "Send the transcript to the partner; their payload breaks the spec.",
    ),
    "ocpi.versions_empty": _Entry(
        "The partner's versions list is empty.",
        "Ask the partner to publish the OCPI versions they support.",
    ),
    "ocpi.versions_is_details": _Entry(
        "The URL returned version details (a list of endpoints), not the versions list.",
        "Use the partner's versions URL, one level up from the version-specific one.",
    ),
    "ocpi.no_mutual_version": _Entry(
        "The partner and this app share no OCPI version (they offer {detail}).",
        "This app speaks 2.1.1, 2.2.1 and 2.3.0; ask the partner to enable one of them.",
    ),
    "ocpi.no_credentials_endpoint": _Entry(
        "The partner's version details list no credentials endpoint.",
        "Without it there is nothing to register with; ask the partner to expose credentials.",
    ),
    "ocpi.details_version_mismatch": _Entry(
        "The partner's version details say version {detail}, not the one negotiated.",
        "Usually harmless; the app continues with the negotiated version.",
        Severity.WARNING,
    ),
    "ocpi.unsupported_version_3002": _Entry(
        "The partner says it does not support our version (OCPI 3002).",
        "Check which versions both sides publish; the partner may need to enable one.",
    ),
    "ocpi.missing_endpoints_3003": _Entry(
        "The partner says modules it needs are missing from our endpoints (OCPI 3003).",
        "Compare the modules our version details publish with what the partner requires.",
    ),
    "ocpi.callback_failed_3001": _Entry(
        "The partner could not call back our endpoints with TOKEN_B (OCPI 3001).",
        "Make sure our versions URL is reachable from the partner and accepts TOKEN_B.",
    ),
    "net.client_cert_refused": _Entry(
        "The partner refused our client certificate during the TLS handshake ({detail}).",
        "Send the partner the certificate's subject and issuer (profiles show PEER) and ask"
        " them to trust it, or use the certificate they issued for you. TOKEN_A was not spent.",
    ),
    "net.client_cert_missing": _Entry(
        "The partner requires a client certificate (mutual TLS) and we presented none.",
        "Give --client-cert and --client-key, or a profile with client_cert and client_key.",
    ),
    "input.client_cert": _Entry(
        "The client certificate cannot be used: {detail}.",
        "Give the PEM certificate the partner trusts and its unencrypted PEM private key.",
    ),
    "input.profile": _Entry(
        "The partner profile cannot be used: {detail}.",
        "Fix the profile file (profiles show NAME lists every key), or choose a built-in one.",
    ),
    "profile.proposal": _Entry(
        "The partner's profile could say {detail}; it was not changed.",
        "Apply it in the partner's profile view, or put it in the profile file you register with.",
        Severity.WARNING,
    ),
    "reg.rotation_needs_token_a": _Entry(
        "{detail} rotates by DELETE and a new registration: that needs a fresh TOKEN_A from the"
        " partner. Nothing was sent.",
        "Ask the hub for a new TOKEN_A, then run: rotate PEER --token-a-file FILE (or - for stdin).",
    ),
    "reg.reregister_failed": _Entry(
        "The hub accepted our DELETE, but the new registration failed: {detail} Our old"
        " credentials are kept, retired; they no longer work at the hub.",
        "Ask the hub to enable our connection again and to issue a fresh TOKEN_A for"
        " {versions_url}; then run rotate {peer} --token-a-file FILE again.",
    ),
    "partner.roster_changed": _Entry(
        "The partner updated its credentials (an inbound PUT): {detail}.",
        "Nothing to do: the new roles and endpoints are stored. Check the partner's detail.",
        Severity.WARNING,
    ),
    "net.short_post_timeout": _Entry(
        "The credentials POST may take only {detail}: a Receiver that calls us back slowly may"
        " answer after we gave up, leaving TOKEN_C unknown.",
        "Allow 60 s or more for the POST (--timeout, or the settings) unless the partner is fast.",
        Severity.WARNING,
    ),
    "ocpi.tolerated": _Entry(
        "The partner's answer deviates from OCPI ({detail}); the app read it anyway.",
        "Send this line to the partner: a stricter client would refuse that answer.",
        Severity.WARNING,
    ),
    "ocpi.redirect_warning": _Entry(
        "The partner redirected {detail}; followed within the same origin.",
        "Use the final URL to save a round trip.",
        Severity.WARNING,
    ),
    # --- the token traps ----------------------------------------------------------------
    "token.a_rejected": _Entry(
        "The partner rejected TOKEN_A (HTTP 401).",
        "Check the token with the partner; if it is right, try the other header encoding (Base64 or plain).",
        Severity.ERROR,
        True,
    ),
    "token.a_reused": _Entry(
        "TOKEN_A already used: this partner's TOKEN_A was spent on a registration and is dead.",
        "Use the stored TOKEN_C for this partner, or ask them for a new TOKEN_A.",
        Severity.ERROR,
        True,
    ),
    "token.a_spent_by_partner": _Entry(
        "The partner refused TOKEN_A because it was already used for a registration.",
        "We may be registered already: check the partner with TOKEN_C, or ask for a new TOKEN_A.",
        Severity.ERROR,
        True,
    ),
    "token.encoding_base64_expected": _Entry(
        "The partner sent the token in plain text where OCPI {detail} wants it Base64-encoded.",
        "Accepted for now; tell the partner their Authorization header should be Base64 for 2.2+.",
        Severity.WARNING,
        True,
    ),
    "token.encoding_plain_expected": _Entry(
        "The partner sent the token Base64-encoded where OCPI 2.1.1 wants it in plain text.",
        "Accepted for now; tell the partner 2.1.1 expects the raw token in the header.",
        Severity.WARNING,
        True,
    ),
    "token.encoding_switched": _Entry(
        "The partner accepted the token only in {detail} form; this partner will be addressed that way.",
        "Nothing to do; the choice is stored with the partner.",
        Severity.WARNING,
        True,
    ),
    "token.bearer_scheme": _Entry(
        "The partner used 'Bearer' instead of OCPI's 'Token' header scheme.",
        "Accepted; tell the partner OCPI says 'Authorization: Token ...'.",
        Severity.WARNING,
        True,
    ),
    "token.c_equals_b": _Entry(
        "TOKEN_B and TOKEN_C confused: the partner answered with our own TOKEN_B as their TOKEN_C.",
        "The partner must generate a new TOKEN_C; using TOKEN_B towards them would 401 in production.",
        Severity.ERROR,
        True,
    ),
    "token.c_equals_a": _Entry(
        "The partner answered with TOKEN_A as TOKEN_C: TOKEN_A must die after registration.",
        "Ask the partner to issue a fresh TOKEN_C; TOKEN_A travelled over an unsafe channel.",
        Severity.ERROR,
        True,
    ),
    "token.c_invalid": _Entry(
        "The partner's TOKEN_C is {detail}.",
        "OCPI tokens are 1 to 64 printable ASCII characters; the partner must send a valid one.",
        Severity.ERROR,
        True,
    ),
    "token.c_rejected": _Entry(
        "The partner rejects TOKEN_C (HTTP 401) right after issuing it.",
        "The partner may have stored TOKEN_B in its place (B/C confusion) or expects the other encoding.",
        Severity.ERROR,
        True,
    ),
    "token.b_used_as_c": _Entry(
        "TOKEN_B and TOKEN_C confused: the partner called us with TOKEN_{detail}, the token we present to them, instead of the one we issued.",
        "Each side presents the token the other side issued: the partner must call us with our token, not theirs.",
        Severity.ERROR,
        True,
    ),
    "token.a_used_in_callback": _Entry(
        "The partner called back with TOKEN_A instead of the TOKEN_B we sent them.",
        "The partner must use the token from our credentials (TOKEN_B) when calling our endpoints.",
        Severity.ERROR,
        True,
    ),
    "token.unknown_inbound": _Entry(
        "A call to our endpoint carried an unknown token.",
        "If this is the partner, they may be using an old or mistyped token.",
        Severity.WARNING,
        True,
    ),
    "token.missing_inbound": _Entry(
        "A call to our endpoint carried no Authorization header.",
        "The partner must send 'Authorization: Token ...' on every OCPI request.",
        Severity.WARNING,
        True,
    ),
    "inbound.refused": _Entry(
        "A call to our endpoint was refused (HTTP {detail}).",
        "405: OCPI allows GET on versions and details, GET/POST/PUT/DELETE on credentials;"
        " 413: a credentials body over 64 KiB; 429: too many calls with unknown tokens.",
        Severity.WARNING,
    ),
    # --- registration outcome -------------------------------------------------------------
    "reg.already_registered": _Entry(
        "The partner says we are already registered (HTTP 405 on POST).",
        "Rotate credentials with PUT using the stored TOKEN_C, or ask for a new TOKEN_A after they unregister us.",
    ),
    "reg.not_registered": _Entry(
        "The partner says we are not registered (HTTP {detail} on {method}).",
        "401 and 405 mean the same here: the partner no longer knows our token. Register again with a new TOKEN_A.",
        Severity.ERROR,
        True,
    ),
    "reg.discovery_incomplete": _Entry(
        "Mutual discovery incomplete: the partner never fetched our {detail}, so it cannot push data to us.",
        "Ask the partner to fetch our versions URL with TOKEN_B, or rotate credentials to make them re-fetch.",
        Severity.WARNING,
    ),
    "reg.discovery_unknown": _Entry(
        "Mutual discovery unknown: our endpoint is served by our platform, so the app cannot see the partner's calls.",
        "Check in our platform's logs that the partner fetched our versions and details with TOKEN_B.",
        Severity.WARNING,
    ),
    "reg.verify_failed": _Entry(
        "Registered, but the check with TOKEN_C failed: {detail}.",
        "TOKEN_C is stored; run Check connection later or ask the partner to confirm.",
        Severity.WARNING,
    ),
    "reg.response_roles": _Entry(
        "The partner's credentials are not sane: {detail}.",
        "Send the transcript to the partner.",
    ),
    "reg.preflight_failed": _Entry(
        "Our own versions endpoint did not answer OCPI 1000 with TOKEN_B: {detail}.",
        "Fix our endpoint before spending TOKEN_A: the partner calls it during registration.",
    ),
    "reg.cancelled": _Entry(
        "The run was cancelled.",
        "Nothing was lost; start again when ready.",
        Severity.WARNING,
    ),
    "reg.invite_timeout": _Entry(
        "No partner registered within {detail}.",
        "Check that the partner received our versions URL and TOKEN_A, then wait again.",
    ),
    "sandbox.not_running": _Entry(
        "The sandbox partner is not running: it lived inside the app session that started it,"
        " so nothing answers at {detail} now.",
        "Onboard the sandbox partner again (Sandbox menu) for a new one, or forget this row.",
    ),
    "reg.unknown_outcome": _Entry(
        "The run stopped after the request was sent; whether the partner acted on it is unknown.",
        "Check with the partner; the app kept every token so nothing is lost.",
    ),
    # --- vault ------------------------------------------------------------------------------
    "vault.locked": _Entry(
        "The vault is locked: no passphrase and no OS keyring.",
        "Set OCPI_ONBOARD_PASSPHRASE or enter the passphrase.",
    ),
    "vault.wrong_passphrase": _Entry(
        "Wrong passphrase: the vault could not be unlocked. Nothing was changed.",
        "Enter the passphrase used when the vault was created.",
    ),
    "vault.peer_unknown": _Entry(
        "No partner {detail} in the vault.",
        "List partners with 'ocpi-onboard peers list'.",
    ),
    "vault.no_token_c": _Entry(
        "Partner {detail} has no active TOKEN_C: it is not registered.",
        "Register the partner first.",
    ),
    "vault.corrupt": _Entry(
        "The vault file is damaged or is not an OCPI Onboard vault ({detail}). Nothing was changed.",
        "Restore it from an export, or point --vault at another file.",
    ),
    "vault.too_new": _Entry(
        "The vault was written by a newer version of OCPI Onboard (schema {detail}).",
        "Update the app; this version leaves the file untouched.",
    ),
    "vault.in_use": _Entry(
        "The vault is open in another OCPI Onboard window or command.",
        "Close the other instance, then try again.",
    ),
    "vault.tampered": _Entry(
        "A stored token failed its integrity check: the vault was altered outside the app.",
        "Restore the vault from an export; do not trust this token.",
    ),
    "vault.audit_broken": _Entry(
        "The audit trail's chain is broken at row {detail}: it was altered outside the app.",
        "Run `ocpi-onboard audit verify` to see every broken row; restore from an export.",
    ),
    "vault.conflict": _Entry(
        "A colleague changed this partner; reload.",
        "Reload the partner (the list refreshes), look at what changed, then try again.",
    ),
    "vault.rekeyed": _Entry(
        "The team's data key changed (a member was removed) after this vault was opened.",
        "Open the vault again: your slot holds the new key if you are still a member.",
    ),
    "vault.team_only": _Entry(
        "Team members exist only in a team vault (PostgreSQL); {detail}.",
        "Open the team vault with --vault postgresql://..., or run `vault migrate --to URL`.",
    ),
    "vault.member_unknown": _Entry(
        "No team member {detail} in this vault.",
        "Check the name with `ocpi-onboard team list`; OCPI_ONBOARD_MEMBER names who acts.",
    ),
    "vault.member_exists": _Entry(
        "Team member {detail} already has a key slot.",
        "Pick another name, or remove the member first.",
    ),
    "vault.last_member": _Entry(
        "{detail} is the last member: removing them would lock everyone out.",
        "Add another member first.",
    ),
    "vault.unreachable": _Entry(
        "The team vault's database cannot be reached ({detail}).",
        "Check the postgresql:// URL, the server and your network; then try again.",
    ),
    "vault.not_ours": _Entry(
        "This file is not an OCPI Onboard export, or it was altered ({detail}).",
        "Choose an export written by OCPI Onboard and its passphrase.",
    ),
    "vault.disk_full": _Entry(
        "The vault could not be written: {detail}. The last complete state is kept.",
        "Free disk space, then try again.",
    ),
    "vault.token_unknown": _Entry(
        "No stored token has fingerprint {detail}.",
        "Fingerprints look like C·3f9c2a; list a partner's tokens with 'peers show'.",
    ),
    "vault.partner_exists": _Entry(
        "A partner {detail} is already in the vault.",
        "Open the existing partner instead, or delete it first.",
    ),
    "vault.credential_unknown": _Entry(
        "No stored token with id {detail}.",
        "List a partner's tokens with 'peers show'.",
    ),
    "vault.run_unknown": _Entry(
        "No run {detail} in the vault.",
        "Check the run id; a partner's runs are listed with the partner.",
    ),
    "vault.io_error": _Entry(
        "The vault file could not be read or written ({detail}). The last complete state is kept.",
        "Check the disk and the file's permissions, then try again.",
    ),
    "vault.target_exists": _Entry(
        "A vault already exists at {detail}; an import never overwrites one.",
        "Choose another target file, or move the existing vault away first.",
    ),
    "internal": _Entry(
        "Unexpected internal error ({detail}).",
        "Export the transcript and report it; no token is included.",
    ),
}


def diagnose(code: str, detail: str | None = None, **fields: str) -> Diagnosis:
    """Build the diagnosis for `code`; `detail` and `fields` fill the message placeholders."""
    entry = CATALOG[code]
    values = {"detail": detail or "", **fields}
    try:
        message = entry.message.format(**values)
    except (KeyError, IndexError):
        message = entry.message
    try:
        hint = entry.hint.format(**values) if "{" in entry.hint else entry.hint
    except (KeyError, IndexError):
        hint = entry.hint
    return Diagnosis(code, message, hint, entry.severity, entry.token_confusion, detail)


def fail(code: str, detail: str | None = None, **fields: str) -> OnboardingError:
    """An `OnboardingError` for `code`, ready to raise."""
    return OnboardingError(diagnose(code, detail, **fields))
