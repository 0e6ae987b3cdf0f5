"""`sandbox --hub-mode MODE` (repeatable): the sandbox plays a roaming hub (app.sandbox.hub).

Mutual TLS needs certificates nobody gave: the sandbox makes a throwaway CA, its own
server certificate and a client certificate for us in --tls-dir (or a private temporary
folder) and prints where they are. After a DELETE (put-refused), the hub accepts the TOKEN_A
found in --token-a-file at that moment: put the "fresh" TOKEN_A there before rotating.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli.common import CliError, read_token_file

# app.sandbox.hub.HubMode's values, spelled here so that building the parser (every CLI
# start) does not import the sandbox, aiohttp and the certificate code
HUB_MODES = ("mtls-required", "routing-headers-required", "put-refused", "activation-delay")


def add_hub_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hub-mode",
        action="append",
        default=[],
        metavar="MODE",
        help=f"play a roaming hub; repeat to combine: {', '.join(HUB_MODES)}",
    )
    parser.add_argument(
        "--activation-delay-s",
        type=float,
        default=5.0,
        help="activation-delay mode: seconds a new TOKEN_C is refused",
    )
    parser.add_argument(
        "--tls-dir",
        default=None,
        help="mtls-required mode: write the sandbox's CA and certificates here",
    )


def make_sandbox(args: argparse.Namespace, token_a: Any, http_settings: Any, **kwargs: Any) -> Any:
    """A SandboxPartner, or a HubSandbox when hub modes were asked for."""
    from app.sandbox import SandboxPartner

    modes = list(getattr(args, "hub_mode", None) or [])
    if not modes:
        return SandboxPartner(token_a, http_settings=http_settings, **kwargs)
    from app.core.tokens import Secret, TokenRole
    from app.sandbox.certs import make_sandbox_certs
    from app.sandbox.hub import HubMode, HubSandbox

    try:
        chosen = tuple(HubMode(m) for m in modes)
    except ValueError:
        raise CliError(
            f"unknown hub mode in {modes}; choose from {', '.join(m.value for m in HubMode)}"
        ) from None
    certs = None
    if HubMode.MTLS_REQUIRED in chosen:
        certs = make_sandbox_certs(Path(args.tls_dir) if args.tls_dir else None)
        print(
            f"sandbox hub TLS: CA {certs.ca}; our client certificate {certs.client_cert} and"
            f" key {certs.client_key} (use --client-cert/--client-key and --ca-bundle)",
            file=sys.stderr,
            flush=True,
        )

    def next_token_a() -> Any:
        try:
            return Secret(read_token_file(args.token_a_file, "TOKEN_A"), TokenRole.A)
        except CliError:
            return None

    return HubSandbox(
        token_a,
        modes=chosen,
        activation_delay_s=args.activation_delay_s,
        certs=certs,
        ssl_context=certs.server_context(True) if certs else None,
        next_token_a=next_token_a if args.token_a_file != "-" else None,
        http_settings=http_settings,
        **kwargs,
    )
