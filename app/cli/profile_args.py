"""Command-line options that feed a partner profile: --profile, --client-cert/--client-key,
and our endpoint's own TLS (--serve-cert/--serve-key/--require-client-ca)."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.errors import CliError


def add_profile_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        default=None,
        metavar="NAME|FILE",
        help="a built-in partner profile (profiles list) or a profile TOML file;"
        " the command line wins over it",
    )
    parser.add_argument(
        "--client-cert", default=None, metavar="PEM", help="mutual TLS: our client certificate"
    )
    parser.add_argument(
        "--client-key",
        default=None,
        metavar="PEM",
        help="mutual TLS: its private key (stored encrypted in the vault; the file may be"
        " deleted afterwards)",
    )


def add_serve_tls_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--serve-cert", default=None, metavar="PEM", help="serve our endpoint over HTTPS"
    )
    parser.add_argument("--serve-key", default=None, metavar="PEM", help="its private key")
    parser.add_argument(
        "--require-client-ca",
        default=None,
        metavar="PEM",
        help="accept only partners presenting a client certificate from this CA",
    )


def profile_from_args(args: argparse.Namespace) -> Any:
    """The profile to register with: the named one (or defaults), the command line over
    it, PEM files read into it. CliError names what is wrong."""
    from app.core.profile import Profile, ProfileError
    from app.engine.profiles import materialize, resolve

    name = getattr(args, "profile", None)
    cert, key = getattr(args, "client_cert", None), getattr(args, "client_key", None)
    if bool(cert) != bool(key):
        raise CliError("--client-cert and --client-key go together")
    try:
        profile = resolve(name) if name else Profile()
        profile = profile.merge(
            client_cert=_absolute(cert),
            client_key=_absolute(key),
            ca_bundle=_absolute(getattr(args, "ca_bundle", None)),
        )
        return materialize(profile)
    except ProfileError as exc:
        raise CliError(str(exc)) from None


def _absolute(path: str | None) -> str | None:
    from pathlib import Path

    return str(Path(path).expanduser().resolve()) if path else None


def serve_ssl_context(args: argparse.Namespace) -> Any:
    """An SSL context for our embedded endpoint, or None (plain HTTP)."""
    import ssl

    cert, key = getattr(args, "serve_cert", None), getattr(args, "serve_key", None)
    client_ca = getattr(args, "require_client_ca", None)
    if not cert and not key and not client_ca:
        return None
    if not cert or not key:
        raise CliError("--serve-cert and --serve-key go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
        if client_ca:
            context.load_verify_locations(cafile=client_ca)
            context.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as exc:
        raise CliError(f"our endpoint's TLS files cannot be used: {type(exc).__name__}") from None
    return context
