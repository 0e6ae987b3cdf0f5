"""Shared pieces of the CLI: exit codes, argument groups, token files, vault and engine set-up.

Tokens never come from the command line: files or stdin only. Output carries fingerprints,
never raw tokens.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from app.cli.errors import CliError as CliError  # the name the command modules import
from app.core.atomic import write_private

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]
"""A command: parsed arguments in, exit code out."""


def vault_location(text: str) -> Path | str:
    """`--vault`: a file path, or a postgresql:// URL (the team vault)."""
    from app.vault.pgdb import is_database_url

    return text.strip() if is_database_url(text) else Path(text)


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--vault",
        type=vault_location,
        help="vault file (default: the user data dir) or postgresql://... (team vault)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="print every event to stderr")


def add_network(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ca-bundle", help="PEM file of CAs that sign the partner's certificate")
    parser.add_argument(
        "--allow-insecure", action="store_true", help="allow http:// to non-loopback hosts"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds each request may take, the credentials POST/PUT/DELETE included"
        " (default 30 s for reads, 90 s for writes; below 60 s a slow partner may leave"
        " TOKEN_C unknown)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def add_listen(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--listen", default=None, help="HOST:PORT of our embedded endpoint (default 127.0.0.1:0)"
    )
    parser.add_argument(
        "--public-url", default=None, help="base URL partners use to reach our endpoint"
    )


def add_identity(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument(
        "--country-code", required=required, help="our ISO 3166 alpha-2 country code"
    )
    parser.add_argument("--party-id", required=required, help="our 3-character party id")
    parser.add_argument(
        "--role",
        action="append",
        dest="roles",
        required=required,
        help="our role (CPO, EMSP, ...); repeat for several",
    )
    parser.add_argument("--business-name", default=None, help="our business name")


def read_token_file(path: str, what: str) -> str:
    from app.core.inputs import check_token, errors

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {what} from {path}: {type(exc).__name__}") from None
    value = text.strip()
    problems = errors(check_token(value))
    if problems:
        raise CliError(f"{what}: {problems[0].message} {problems[0].hint}")
    return value


def parse_listen(text: str | None) -> tuple[str, int]:
    if not text:
        return "127.0.0.1", 0
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise CliError(f"--listen wants HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def open_vault(path: Path | str | None) -> Any:
    from app.cli.unlock_ahead import take
    from app.vault import Vault, VaultError

    key = take(path)
    if key is None:
        return Vault.open(path)
    try:
        return Vault.open(path, key)
    except VaultError as exc:
        # derived for params the file no longer has (changed meanwhile): derive again
        if exc.diagnosis.code != "vault.wrong_passphrase" or Vault.kdf_params(path) == key.params:
            raise
        return Vault.open(path)


def event_printer(verbose: bool) -> Any:
    from app.core.events import Level

    def show(event: Any) -> None:
        if event.kind in ("RequestSent", "ResponseReceived") and not verbose:
            return
        if not verbose and event.level == Level.DEBUG:
            return
        print(f"[{event.level}] {event.message}", file=sys.stderr, flush=True)

    return show


def print_result(result: Any, as_json: bool) -> int:
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        data = result.to_json()
        print(f"status: {data['status']}")
        for key in ("peer", "ocpi_version", "token_c_fingerprint", "mutual_discovery", "run_id"):
            if data.get(key) is not None:
                value = data[key]
                if isinstance(value, dict):
                    value = f"{value.get('country_code')}-{value.get('party_id')} {','.join(value.get('roles') or [])}"
                print(f"{key}: {value}")
        for warning in result.warnings:
            print(f"warning: {warning.message} Fix: {warning.hint}", file=sys.stderr)
        if result.diagnosis is not None:
            print(f"error [{result.diagnosis.code}]: {result.diagnosis.message}", file=sys.stderr)
            print(f"fix: {result.diagnosis.hint}", file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAILED


def http_settings(args: argparse.Namespace) -> Any:
    from app.settings import load_settings

    settings = load_settings()
    http = settings.http()
    from dataclasses import replace

    changes: dict[str, Any] = {}
    if getattr(args, "ca_bundle", None):
        changes["ca_bundle"] = args.ca_bundle
    if getattr(args, "allow_insecure", False):
        changes["allow_insecure"] = True
    timeout = getattr(args, "timeout", None)
    if timeout is not None:
        if timeout <= 0:
            raise CliError(f"--timeout wants a number of seconds above 0, got {timeout:g}")
        changes["request_timeout"] = timeout
        changes["write_timeout"] = timeout  # governs every request, the POST included
        changes["connect_timeout"] = min(http.connect_timeout, timeout)
    return replace(http, **changes)


def identity(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from app.settings import load_settings

    ours = load_settings().identity()  # the command line wins over the settings
    return replace(
        ours,
        country_code=(getattr(args, "country_code", None) or ours.country_code).upper(),
        party_id=(getattr(args, "party_id", None) or ours.party_id).upper(),
        roles=tuple(r.upper() for r in (getattr(args, "roles", None) or ours.roles)),
        business_name=getattr(args, "business_name", None) or ours.business_name,
    )


def import_engine(serve: bool) -> None:
    """Import the engine (and our endpoint's server side when serving) before the vault is
    opened: its key is being derived meanwhile in a thread (app/cli/unlock_ahead.py)."""
    from importlib import import_module

    from app.engine.context import import_endpoint

    import_module("app.engine.engine")  # httpx, pydantic, the OCPI core and the engine
    if serve:
        import_endpoint()


def make_engine(args: argparse.Namespace, vault: Any, serve: bool = True) -> Any:
    """The engine for a command; `serve=False` for commands that only call out (no
    endpoint is started and aiohttp's server side is never imported)."""
    from app.core.tokens import Secret, TokenRole
    from app.engine import CallbackSettings, Engine

    host, port = parse_listen(getattr(args, "listen", None))
    own = getattr(args, "own_versions_url", None)
    token_b = None
    if own:
        if not getattr(args, "token_b_file", None):
            raise CliError(
                "--own-versions-url needs --token-b-file (the TOKEN_B provisioned on our platform)"
            )
        token_b = Secret(read_token_file(args.token_b_file, "TOKEN_B"), TokenRole.B)
    callback = CallbackSettings(
        mode="client" if not serve else "external" if own else "embedded",
        listen_host=host,
        listen_port=port,
        public_url=getattr(args, "public_url", None),
        own_versions_url=own,
        token_b=token_b,
        ssl_context=_serve_ssl(args),
    )
    return Engine(
        vault,
        identity(args),
        http=http_settings(args),
        callback=callback,
        on_event=event_printer(getattr(args, "verbose", False)),
    )


def _serve_ssl(args: argparse.Namespace) -> Any:
    from app.cli.profile_args import serve_ssl_context

    return serve_ssl_context(args)


def warn_wide_bind(engine: Any) -> None:
    if engine.server is not None and engine.server.wide_bind:
        print(
            "warning: our endpoint listens beyond this machine; make sure TLS terminates in front of it",
            file=sys.stderr,
        )


def write_secret_file(path: Path, value: str) -> None:
    """A new file holding `value` (mode 0600 from the first byte; an existing file at `path`
    is replaced, never rewritten, so nobody who could read it sees the token)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, value + "\n")


def resolve_run(vault: Any, text: str) -> str:
    matches: list[str] = [r.id for r in vault.runs() if r.id.startswith(text)]
    if len(matches) != 1:
        raise CliError(
            f"run {text!r} not found" if not matches else f"run prefix {text!r} is ambiguous"
        )
    return matches[0]
