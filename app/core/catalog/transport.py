"""Diagnoses of the transport: timeouts, connections, TLS, redirects, sizes."""

from __future__ import annotations

from app.core.catalog.entry import Entry, Severity

ENTRIES: dict[str, Entry] = {
    "net.timeout": Entry(
        "The partner did not answer within {detail}.",
        "Check the URL and that their platform is up; raise the timeout for slow partners.",
    ),
    "net.post_timeout": Entry(
        "The registration request timed out: the partner may or may not have registered us.",
        "Do not retry with the same TOKEN_A. Ask the partner whether we are registered; if not, ask for a new TOKEN_A.",
    ),
    "net.connect": Entry(
        "Could not connect to {detail}.",
        "Check the host name and port, the firewall, and that the partner's platform is running.",
    ),
    "net.dns": Entry(
        "The host name {detail} could not be resolved.",
        "Check the spelling of the URL's host.",
    ),
    "net.tls": Entry(
        "The partner's TLS certificate could not be verified: {detail}.",
        "Ask the partner to fix their certificate, or give the CA bundle that signs it.",
    ),
    "net.reset": Entry(
        "The partner closed the connection before a complete answer arrived.",
        "Try again later; if it persists, the partner's server or a proxy in front of it is failing.",
    ),
    "net.body_too_large": Entry(
        "The partner's answer was larger than {detail}, far more than a handshake needs.",
        "The URL probably points at something other than an OCPI endpoint.",
    ),
    "net.redirect_cross_origin": Entry(
        "The partner redirected us to another origin ({detail}); the token was not sent there.",
        "Ask the partner for the final URL, or use it yourself if it is theirs.",
    ),
    "net.redirect_loop": Entry(
        "The partner redirected more than 3 times.",
        "Use the final URL directly; redirects are not part of OCPI.",
    ),
    "net.redirect_write": Entry(
        "The partner answered a {detail} with a redirect; the request was not repeated.",
        "Ask the partner for the exact credentials URL; write requests are never re-sent.",
    ),
    "net.redirect_downgrade": Entry(
        "The partner redirected from https to http; refused to protect the token.",
        "Ask the partner to fix their redirect.",
    ),
    "net.client_cert_refused": Entry(
        "The partner refused our client certificate during the TLS handshake ({detail}).",
        "Send the partner the certificate's subject and issuer (profiles show PEER) and ask"
        " them to trust it, or use the certificate they issued for you. TOKEN_A was not spent.",
    ),
    "net.client_cert_missing": Entry(
        "The partner requires a client certificate (mutual TLS) and we presented none.",
        "Give --client-cert and --client-key, or a profile with client_cert and client_key.",
    ),
    "net.short_post_timeout": Entry(
        "The credentials POST may take only {detail}: a Receiver that calls us back slowly may"
        " answer after we gave up, leaving TOKEN_C unknown.",
        "Allow 60 s or more for the POST (--timeout, or the settings) unless the partner is fast.",
        Severity.WARNING,
    ),
}
