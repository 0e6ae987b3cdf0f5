"""Pydantic v2 models of the versions and credentials modules, per OCPI version.

One normalised `Credentials` shape (token, url, roles, hub_party_id) is used inside the app;
`credentials_to_wire` / `credentials_from_wire` translate to the version's shape: 2.1.1 is
flat (party_id, country_code, business_details), 2.2.1 has roles[], 2.3.0 adds hub_party_id
and drops the HUB role. Inbound parsing tolerates unknown fields and either shape; outbound
data is built strictly (upper-case ids, spec lengths).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from app.core.diagnosis import OnboardingError, fail
from app.core.ocpi import V211, canonical_version
from app.core.tokens import MAX_TOKEN_LENGTH, is_valid_token_text

ROLES_221 = ("CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP")
ROLES_230 = ("CPO", "EMSP", "NAP", "NSP", "OTHER", "SCSP")
MAX_URL_LENGTH = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _printable(value: Any) -> Any:
    """Partner free text made safe to print: control characters (newlines, terminal escapes
    that forge log lines or repaint a terminal) become spaces."""
    return _CONTROL.sub(" ", value) if isinstance(value, str) else value


# What most partners send: http(s)://host[:port] then a path, query or nothing. Such a URL
# passes the full check below (urlsplit, ~20 calls) without it; anything else takes it.
_PLAIN_URL = re.compile(
    r"(?i:https?)://[A-Za-z0-9.-]+(?::(\d{1,5}))?(?:[/?#][^\x00-\x1f\x7f-\x9f\u2028\u2029]*)?"
)


def _absolute_url(value: str) -> str:
    plain = _PLAIN_URL.fullmatch(value)
    if plain is not None and (plain[1] is None or int(plain[1]) <= 65535):
        return value
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    _ = parts.port  # ValueError when out of range (e.g. 99999)
    return value


def _token_text(value: str) -> str:
    if not is_valid_token_text(value):
        raise ValueError(
            f"must be 1 to {MAX_TOKEN_LENGTH} printable ASCII characters without spaces"
        )
    return value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


Url = Annotated[str, Field(max_length=MAX_URL_LENGTH), AfterValidator(_absolute_url)]
TokenText = Annotated[str, AfterValidator(_token_text)]
CountryCode = Annotated[
    str, BeforeValidator(_upper), Field(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$")
]
PartyId = Annotated[
    str, BeforeValidator(_upper), Field(min_length=3, max_length=3, pattern=r"^[A-Z0-9]{3}$")
]


class _Model(BaseModel):
    # defer_build: a model's validator is built on its first use, not at import, so a
    # command that never parses credentials does not pay for building them (issue 13).
    model_config = ConfigDict(
        extra="ignore", frozen=True, str_strip_whitespace=False, defer_build=True
    )

    @model_validator(mode="after")
    def _no_control_characters(self) -> Self:
        """The model's own text fields made printable (`_printable`), once they are valid:
        one call per model (a field validator on "*" was a Python call per field)."""
        for name, value in self.__dict__.items():
            if isinstance(value, str) and _CONTROL.search(value):
                object.__setattr__(self, name, _CONTROL.sub(" ", value))
        return self


class Version(_Model):
    version: str
    url: Url


class Endpoint(_Model):
    identifier: str = Field(min_length=1, max_length=100)
    role: str | None = None  # absent in 2.1.1; ignored for credentials (ocpi/ocpi#403)
    url: Url


class VersionDetails(_Model):
    version: str
    endpoints: list[Endpoint] = Field(min_length=1)

    def endpoint(self, identifier: str, role: str | None = None) -> Endpoint | None:
        """The endpoint for a module; for credentials the role is ignored."""
        for ep in self.endpoints:
            if ep.identifier.lower() != identifier.lower():
                continue
            if role is None or ep.role is None or ep.role.upper() == role.upper():
                return ep
        return None


class Image(_Model):
    url: Url
    thumbnail: str | None = None
    category: str = ""
    type: str = ""
    width: int | None = None
    height: int | None = None


class BusinessDetails(_Model):
    name: str = Field(min_length=1, max_length=100)
    website: str | None = None
    logo: Image | None = None


class CredentialsRole(_Model):
    role: str | None = None  # None only for a 2.1.1 partner, whose credentials carry no role
    business_details: BusinessDetails
    party_id: PartyId
    country_code: CountryCode


class Credentials(_Model):
    """The normalised credentials object, whatever version it came in."""

    token: TokenText
    url: Url
    roles: list[CredentialsRole] = Field(min_length=1)
    hub_party_id: str | None = Field(default=None, max_length=5)

    def __repr__(self) -> str:  # never show the token
        return f"Credentials(url={self.url!r}, roles={len(self.roles)})"

    __str__ = __repr__


class _Wire211(_Model):
    token: str
    url: str
    business_details: BusinessDetails
    party_id: PartyId
    country_code: CountryCode


def is_flat_shape(data: Any) -> bool:
    return isinstance(data, dict) and "roles" not in data and "party_id" in data


def credentials_from_wire(data: Any, version: str | None) -> Credentials:
    """Parse a partner's credentials object in whichever shape it came; diagnosed errors."""
    if not isinstance(data, dict):
        raise fail("ocpi.bad_data", "credentials object (data is not an object)")
    try:
        if is_flat_shape(data):
            flat = _Wire211.model_validate(data)
            role = CredentialsRole(
                role=None,
                business_details=flat.business_details,
                party_id=flat.party_id,
                country_code=flat.country_code,
            )
            return Credentials(token=flat.token, url=flat.url, roles=[role])
        return Credentials.model_validate(data)
    except ValidationError as exc:
        raise validation_failure("credentials object", exc) from None


def credentials_from_wire_lenient(
    data: dict[str, Any], fallback_url: str
) -> tuple[Credentials, str]:
    """The partner's answer when strict parsing failed but its token is valid: keep what can
    be read (the token above all: the partner already spent TOKEN_A) and say what was off.

    Real platforms omit business_details, send 4-letter party ids or relative URLs; refusing
    their answer here would lose TOKEN_C for good.
    """
    try:
        strict = credentials_from_wire(data, None)
        return strict, ""
    except OnboardingError as exc:
        problem = exc.diagnosis.detail or exc.diagnosis.message
    url = data.get("url")
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        url = fallback_url
    try:
        url = _absolute_url(url)
    except ValueError:
        url = fallback_url
    raw_roles = data.get("roles")
    if not isinstance(raw_roles, list):
        raw_roles = [data] if "party_id" in data else []
    roles: list[CredentialsRole] = []
    for item in raw_roles:
        if not isinstance(item, dict):
            continue
        details = item.get("business_details")
        name = details.get("name") if isinstance(details, dict) else None
        roles.append(
            CredentialsRole.model_construct(
                role=_printable(str(item["role"]).upper()[:10]) if item.get("role") else None,
                business_details=BusinessDetails.model_construct(
                    name=_printable(str(name)[:100]) if name else "", website=None, logo=None
                ),
                party_id=_printable(str(item.get("party_id", "")).strip().upper()[:5]),
                country_code=_printable(str(item.get("country_code", "")).strip().upper()[:2]),
            )
        )
    hub = data.get("hub_party_id")
    creds = Credentials.model_construct(
        token=str(data["token"]),
        url=url,
        roles=roles,
        hub_party_id=_printable(hub[:5]) if isinstance(hub, str) else None,
    )
    return creds, problem


def credentials_to_wire(creds: Credentials, version: str) -> dict[str, Any]:
    """Our credentials in the shape of `version` (docs/ocpi-facts.md, fact 16): flat for
    2.1.1, roles[] after."""
    if canonical_version(version) == V211:
        first = creds.roles[0]
        return {
            "token": creds.token,
            "url": creds.url,
            "business_details": first.business_details.model_dump(exclude_none=True),
            "party_id": first.party_id,
            "country_code": first.country_code,
        }
    body: dict[str, Any] = {
        "token": creds.token,
        "url": creds.url,
        "roles": [r.model_dump(exclude_none=True) for r in creds.roles],
    }
    if creds.hub_party_id and canonical_version(version) != V211:
        body["hub_party_id"] = creds.hub_party_id
    return body


def build_validators() -> None:
    """Build every model's validator now, not at its first use (`defer_build`): the
    window's warm-up does it on a thread (app/engine/warm.py), so the session's first
    handshake does not build them on the loop's thread: its first parse took 14-30 ms
    there, pydantic's schema machinery loading with the first model."""
    models: tuple[type[_Model], ...] = (
        Version,
        Endpoint,
        VersionDetails,
        Image,
        BusinessDetails,
        CredentialsRole,
        Credentials,
        _Wire211,
    )
    for model in models:
        model.model_rebuild()


def parse_versions(data: Any) -> list[Version]:
    """The versions list; skips entries it cannot read rather than failing the whole list."""
    if isinstance(data, dict) and "endpoints" in data:
        raise fail("ocpi.versions_is_details")
    if not isinstance(data, list):
        raise fail("ocpi.bad_data", "versions list (data is not an array)")
    versions: list[Version] = []
    for item in data:
        try:
            versions.append(Version.model_validate(item))
        except ValidationError:
            continue
    if not versions:
        raise fail("ocpi.versions_empty")
    return versions


def parse_version_details(data: Any) -> VersionDetails:
    if isinstance(data, list):
        raise fail("ocpi.bad_data", "version details (got a list; is this the versions URL?)")
    try:
        return VersionDetails.model_validate(data)
    except ValidationError as exc:
        raise validation_failure("version details", exc) from None


def validation_failure(what: str, exc: ValidationError) -> OnboardingError:
    """A diagnosis naming the fields at fault, never echoing their values (tokens!)."""
    problems = []
    for err in exc.errors(include_input=False, include_url=False)[:5]:
        loc = ".".join(str(part) for part in err["loc"]) or "(root)"
        problems.append(f"{loc}: {err['msg']}")
    return fail("ocpi.bad_data", f"{what} ({'; '.join(problems)})")
