"""Hypothesis strategies for OCPI-shaped hostile input: JSON that is almost right, tokens,
URLs, headers and raw bytes."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import strategies as st

TOKEN_ALPHABET = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
# Tokens long enough that finding one inside fixed text by chance is impossible (8+).
tokens = st.text(TOKEN_ALPHABET, min_size=8, max_size=64)
any_tokens = st.text(TOKEN_ALPHABET, min_size=1, max_size=80)

OCPI_KEYS = [
    "token",
    "url",
    "roles",
    "role",
    "party_id",
    "country_code",
    "business_details",
    "name",
    "website",
    "logo",
    "hub_party_id",
    "version",
    "versions",
    "endpoints",
    "identifier",
    "status_code",
    "status_message",
    "data",
    "timestamp",
    "detail",
    "errors",
    "error",
]
VERSION_TEXT = st.sampled_from(
    [
        "2.1.1",
        "2.1",
        "2.2",
        "2.2.1",
        "2.3.0",
        "v2.2.1",
        "V2.3.0",
        " 2.2.1 ",
        "2.0",
        "3.0",
        "2.2.1.1",
        "2.2.1\n",
        "２.２.１",
        "2.2.x",
        "",
        "99999999999999999999.1",
    ]
) | st.text(max_size=12)
ROLES = st.sampled_from(
    ["CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP", "cpo", "", "X" * 20]
) | st.text(max_size=8)
URLS = st.sampled_from(
    [
        "http://127.0.0.1:9/ocpi/versions",
        "https://127.0.0.1:9/ocpi/2.2.1",
        "http://[::1]:9/x",
        "http://127.0.0.1:99999/x",
        "http://[::1/x",
        "ftp://127.0.0.1/x",
        "/relative/url",
        "",
        "http:///nohost",
        "https://127.0.0.1:9/" + "a" * 300,
        "http://127.0.0.1:9/\x1b[2J",
        "http://user:pass@127.0.0.1:9/",
        "http://127.0.0.1:9/ocpi/versions?x=1#frag",
    ]
) | st.text(max_size=40)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | VERSION_TEXT
    | URLS
    | ROLES
    | tokens
)


_KEYS = st.sampled_from(OCPI_KEYS) | st.text(max_size=8)
_JSON: dict[int, st.SearchStrategy[Any]] = {}


def json_values(max_leaves: int = 25) -> st.SearchStrategy[Any]:
    """Arbitrary JSON whose dict keys are mostly OCPI field names, so parsers go deep.
    (One strategy object per size: hypothesis caches by identity, rebuilding is slow.)"""
    if max_leaves not in _JSON:
        _JSON[max_leaves] = st.recursive(
            scalars,
            lambda children: (
                st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=6)
            ),
            max_leaves=max_leaves,
        )
    return _JSON[max_leaves]


PLACEHOLDER = "@TOKEN@"


def place(value: Any, token: str) -> Any:
    """Replace PLACEHOLDER in every string of a JSON value by a concrete token."""
    if isinstance(value, str):
        return value.replace(PLACEHOLDER, token)
    if isinstance(value, list):
        return [place(v, token) for v in value]
    if isinstance(value, dict):
        return {place(k, token): place(v, token) for k, v in value.items()}
    return value


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, sometimes anything at all."""
    return st.one_of(valid, valid, valid, json_values(6))


def business_details() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {"name": maybe(st.text(min_size=1, max_size=110))},
        optional={"website": maybe(URLS), "logo": json_values(4)},
    )


def credentials_role() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {
            "role": maybe(ROLES),
            "party_id": maybe(
                st.text(min_size=3, max_size=3) | st.sampled_from(["ABC", "abc", "AB", "ABCD"])
            ),
            "country_code": maybe(
                st.sampled_from(["NL", "nl", "N", "NLD", "DE"]) | st.text(max_size=3)
            ),
            "business_details": maybe(business_details()),
        }
    )


def credentials_like(token: st.SearchStrategy[Any] = any_tokens) -> st.SearchStrategy[Any]:
    """A credentials object in either shape (2.1.1 flat, 2.2+ roles[]), fields often broken."""
    modern = st.fixed_dictionaries(
        {
            "token": maybe(token),
            "url": maybe(URLS),
            "roles": maybe(st.lists(credentials_role(), max_size=3)),
        },
        optional={"hub_party_id": maybe(st.text(max_size=7)), "extra": json_values(5)},
    )
    flat = st.fixed_dictionaries(
        {
            "token": maybe(token),
            "url": maybe(URLS),
            "party_id": maybe(st.text(max_size=4)),
            "country_code": maybe(st.text(max_size=3)),
            "business_details": maybe(business_details()),
        }
    )
    return modern | flat | json_values()


def versions_like() -> st.SearchStrategy[Any]:
    entry = st.fixed_dictionaries({"version": maybe(VERSION_TEXT), "url": maybe(URLS)})
    return st.lists(maybe(entry), max_size=6) | json_values()


def details_like() -> st.SearchStrategy[Any]:
    endpoint = st.fixed_dictionaries(
        {
            "identifier": maybe(
                st.sampled_from(["credentials", "locations", "Credentials", ""])
                | st.text(max_size=8)
            ),
            "url": maybe(URLS),
        },
        optional={"role": maybe(st.sampled_from(["SENDER", "RECEIVER"]) | st.text(max_size=8))},
    )
    return (
        st.fixed_dictionaries(
            {
                "version": maybe(VERSION_TEXT),
                "endpoints": maybe(st.lists(maybe(endpoint), max_size=5)),
            }
        )
        | json_values()
    )


def envelope_bodies() -> st.SearchStrategy[bytes]:
    """Response bodies: envelopes (often broken), any JSON, and raw bytes."""
    status = st.integers(min_value=-5, max_value=20000) | st.sampled_from(
        [1000, 1999, 2001, 3001, 3002, 3003, "1000", " 1000 ", "x", None, True, 1000.0]
    )
    envelope = st.fixed_dictionaries(
        {"status_code": status},
        optional={
            "data": json_values(),
            "status_message": json_values(3),
            "timestamp": json_values(2),
        },
    )
    as_json = (envelope | json_values()).map(lambda v: json.dumps(v).encode())
    specials = st.sampled_from(
        [
            b"",
            b" ",
            b"null",
            b"NaN",
            b'{"status_code": 1000, "data": NaN}',
            b"[" * 5000 + b"]" * 5000,
            b'{"status_code": 1000, "status_code": 2001}',
            b"<!DOCTYPE html><html></html>",
            b"\xef\xbb\xbf{}",
            b'{"status_code": 1e400}',
            b'{"status_code": 10' + b"0" * 5000 + b"}",
            b"\xff\xfe{}",
        ]
    )
    return as_json | st.binary(max_size=300) | specials


def authorization_values(known: list[str]) -> st.SearchStrategy[str | None]:
    """Authorization header values: known tokens in every encoding, near misses, junk."""
    known_token = st.sampled_from(known)
    forms = known_token.flatmap(
        lambda t: st.sampled_from(
            [
                f"Token {t}",
                f"token {base64.b64encode(t.encode()).decode()}",
                f"Bearer {base64.b64encode(t.encode()).decode()}",
                f"Token {base64.b64encode((t + chr(10)).encode()).decode()}",
                f"Token {t[:-1]}",
                f"Token  {t}",
                f"TOKEN {t}x",
                f"Basic {t}",
            ]
        )
    )
    junk = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)
    return st.none() | forms | junk | st.builds(lambda t: f"Token {t}", any_tokens)
