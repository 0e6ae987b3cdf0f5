"""Canary tokens: every token the app generates (and every TOKEN_A the tests hand it) is a
recognisable value, logged aside, so every output can be scanned for it in raw and Base64.

In-process flows patch `generate_token` in the modules that import it; CLI subprocesses get
the same patch through a `sitecustomize.py` on PYTHONPATH (it runs before main.py), which
appends every value it generates to the file named by OCPI_CANARY_LOG.
"""

from __future__ import annotations

import base64
import itertools
import secrets
from collections.abc import Iterable
from pathlib import Path

MARK = "CNRY"  # every canary starts with it; Base64 of it starts with "Q05SW"
B64_MARK = base64.b64encode(MARK.encode()).decode()[:5]
GENERATING_MODULES = (
    "app.core.tokens",
    "app.engine.register",
    "app.engine.invite",
    "app.engine.manage",
    "app.callback.receiver",
)

SITECUSTOMIZE = """
import itertools, os, secrets
import app.core.tokens as _tokens

_count = itertools.count()
_tag = os.environ.get("OCPI_CANARY_TAG", "x")
_log = os.environ.get("OCPI_CANARY_LOG")


def _canary_token():
    value = "CNRY" + _tag + format(next(_count), "03d") + secrets.token_hex(14)
    if _log:
        with open(_log, "a", encoding="ascii") as handle:
            handle.write(value + "\\n")
    return value


_tokens.generate_token = _canary_token
"""


def canary(tag: str, counter: itertools.count = itertools.count()) -> str:  # noqa: B008
    """A canary value: printable ASCII, 38 characters, inside OCPI's string(64)."""
    return f"{MARK}{tag}{next(counter):03d}{secrets.token_hex(14)}"


def install_sitecustomize(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sitecustomize.py").write_text(SITECUSTOMIZE, "utf-8")
    return directory


def forms(value: str) -> dict[str, bytes]:
    raw = value.encode()
    return {
        "raw": raw,
        "base64": base64.b64encode(raw),
        "base64 unpadded": base64.b64encode(raw).rstrip(b"="),
        "url-safe base64": base64.urlsafe_b64encode(raw).rstrip(b"="),
        "base64 with newline": base64.b64encode(raw + b"\n"),
    }


def scan(outputs: dict[str, bytes | str], canaries: Iterable[str]) -> dict[str, list[str]]:
    """Where a canary shows: {output name: [what was found]}; empty means clean.

    Looks for each known canary in every form, and for the bare markers (a canary the log
    missed, or one cut short, still starts with CNRY / Q05SW)."""
    known = list(dict.fromkeys(canaries))
    found: dict[str, list[str]] = {}
    for name, data in outputs.items():
        blob = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
        hits = []
        for i, value in enumerate(known):
            for form_name, form in forms(value).items():
                if form in blob:
                    hits.append(f"canary #{i} {form_name}")
        if not hits and (MARK.encode() in blob or B64_MARK.encode() in blob):
            hits.append("canary marker")
        if hits:
            found[name] = hits
    return found


def files_under(*roots: Path, exclude: Iterable[Path] = ()) -> dict[str, bytes]:
    """Every regular file below the roots (vault, WAL, SHM, exports, settings, logs)."""
    skip = {p.resolve() for p in exclude}
    out: dict[str, bytes] = {}
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not any(
                parent in skip for parent in (path.resolve(), *path.resolve().parents)
            ):
                out[str(path)] = path.read_bytes()
    return out
