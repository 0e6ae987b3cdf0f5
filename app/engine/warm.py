"""What the session's first handshake loads, loaded ahead off the loop's thread (issue 13).

The first handshake of a session stopped the window 180-280 ms at 2,000 partners: the
sandbox partner's modules (aiohttp's server, ~130 ms of imports), the first HTTP client's
TLS context (certifi's CA store, ~80 ms) and httpcore's network backend (anyio), all on
the loop's thread, which is the UI's. The window asks for them once its start has settled
(app/gui/ahead.py); here they are imported and built on threads of their own, so the
first handshake finds them ready, and the OCPI models' validators built (pydantic builds
each on first use). The TLS context is the one `make_client` builds for the engine's own
settings (`_ssl_context` keeps one per settings: a new engine for changed
settings builds its own); a partner profile's client certificate (mutual TLS) makes
another, built at its first use as before.
"""

from __future__ import annotations

from app.core.http import HttpSettings
from app.core.threads import on_thread

# The sandbox partner (the first onboarding of most sessions) and httpcore's network
# backend under asyncio, which its first request loads: anyio's asyncio backend (with
# anyio's core, ~30 modules) and sniffio load only at the first connection, not with
# httpcore's backend module (the first handshake's first GET took ~30 ms more for them).
# The engine's partner profiles (with their TOML reader) and roster load with the first
# registration: loaded here too, they are frozen with the rest (app/gui/ahead.py).
FIRST_CALL_MODULES = (
    "app.sandbox.partner",
    "httpcore._backends.anyio",
    "anyio._backends._asyncio",
    "sniffio",
    "tomllib",
    "app.engine.profiles",
    "app.engine.roster",
)


async def load_first_call_code() -> None:
    """Import the first call's modules and build the OCPI models' validators, each on a
    thread; the loop keeps turning. The window does this right after its heap settles and
    settles it again after (app/gui/ahead.py), so that these libraries (~210 modules,
    ~25k objects) are frozen with the start instead of being walked by the first full
    collection after a liveness sweep. Raises what an import or a build raised."""
    from app.callback.server import import_on_thread

    for name in FIRST_CALL_MODULES:
        await import_on_thread(name)
    await on_thread(build_validators, "build the OCPI models' validators")


async def warm_first_call(settings: HttpSettings) -> None:
    """Import the first call's modules and build the TLS context for `settings`, each on a
    thread; the loop keeps turning. Raises what an import or the context raised (a CA
    bundle that cannot be read): the caller decides whether that matters."""
    await load_first_call_code()  # quick if the window loaded it ahead
    await on_thread(lambda: prepare_client(settings), "prepare the first client")


def build_validators() -> None:
    """The OCPI models' validators, built now (each is built once, on first use)."""
    from app.core.models import build_validators as build

    build()


def prepare_client(settings: HttpSettings) -> None:
    """Build a first client for `settings` and drop it: its TLS context stays cached in
    `_ssl_context`, so the engine's first `make_client` takes this same context, and
    httpx's transport and pool have run once. No socket is opened."""
    from app.core.http import make_client

    make_client(settings)
