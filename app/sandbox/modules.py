"""The sandbox partner's module layer: data for its modules, served as OCPI wants it.

The sandbox plays a CPO. Beyond the credentials handshake it offers locations, sessions,
cdrs and tariffs as SENDER (a few locations and tariffs, sessions and cdrs empty) and tokens
as RECEIVER, paginated with X-Total-Count, X-Limit and Link (OCPI transport_and_format,
"Pagination"). The deviations that `verify` and `check` must catch are data, not code paths:
`VERIFY_FAULTS` says what each fault changes, `DRIFTS` what a drift trigger changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from app.core.ocpi import INVALID_PARAMS, V211, build_envelope, canonical_version

SENT_MODULES = ("locations", "sessions", "cdrs", "tariffs")  # the CPO is SENDER
RECEIVED_MODULES = ("tokens",)  # the CPO is RECEIVER
MAX_LIMIT = 100  # the spec's advice for locations and tariffs (docs/ocpi-facts.md, page limits)
LAST_UPDATED = "2026-01-05T09:30:00Z"
ECHOED = ("X-Request-ID", "X-Correlation-ID")


@dataclass(frozen=True)
class ModuleBehaviour:
    """What a fault changes in the module layer."""

    echo_request_ids: bool = True
    dropped: frozenset[str] = frozenset()
    open_without_token: bool = False
    lying_pagination: bool = False
    mirrored_roles: bool = False


# fault name (the CLI's --fault value) -> behaviour; every other fault leaves modules alone
VERIFY_FAULTS: dict[str, ModuleBehaviour] = {
    "no-request-id-echo": ModuleBehaviour(echo_request_ids=False),
    "missing-module": ModuleBehaviour(dropped=frozenset({"tariffs"})),
    "open-endpoint": ModuleBehaviour(open_without_token=True),
    "lying-pagination": ModuleBehaviour(lying_pagination=True),
    "wrong-role": ModuleBehaviour(mirrored_roles=True),
}

# drift kind -> what changes; the "drift-*" faults apply one once the partner is registered
DRIFTS: dict[str, str] = {
    "endpoint": "locations moves to a new URL (…/v2/locations)",
    "module": "tariffs is no longer offered",
    "version": "the next higher OCPI version is offered too",
}
DRIFT_FAULTS: dict[str, str] = {f"drift-{kind}": kind for kind in DRIFTS}


def _located(version: str, obj: dict[str, Any], country: str, party: str) -> dict[str, Any]:
    """2.2+ objects carry the owner's country code and party id; 2.1.1 objects do not."""
    if version == V211:
        return obj
    return {"country_code": country, "party_id": party, **obj}


def sample_locations(version: str, country: str, party: str) -> list[dict[str, Any]]:
    places = [
        ("LOC001", "Stationsplein 1", "Utrecht", "3511 ED", "52.089444", "5.110278"),
        ("LOC002", "Coolsingel 40", "Rotterdam", "3011 AD", "51.922500", "4.479170"),
        ("LOC003", "Dam 1", "Amsterdam", "1012 JS", "52.373056", "4.892222"),
    ]
    out = []
    for loc_id, address, city, postal, lat, lon in places:
        obj: dict[str, Any] = {
            "id": loc_id,
            "name": f"Sandbox {city}",
            "address": address,
            "city": city,
            "postal_code": postal,
            "country": "NLD",
            "coordinates": {"latitude": lat, "longitude": lon},
            "time_zone": "Europe/Amsterdam",
            "last_updated": LAST_UPDATED,
        }
        if version == V211:
            obj["type"] = "ON_STREET"
        else:
            obj["publish"] = True
        out.append(_located(version, obj, country, party))
    return out


def sample_tariffs(version: str, country: str, party: str) -> list[dict[str, Any]]:
    prices = [("TAR-AC", 0.35), ("TAR-DC", 0.59)]
    return [
        _located(
            version,
            {
                "id": tariff_id,
                "currency": "EUR",
                "elements": [
                    {"price_components": [{"type": "ENERGY", "price": price, "step_size": 1}]}
                ],
                "last_updated": LAST_UPDATED,
            },
            country,
            party,
        )
        for tariff_id, price in prices
    ]


@dataclass
class ModuleLayer:
    """Module endpoints and their data for one sandbox partner."""

    behaviour: ModuleBehaviour = field(default_factory=ModuleBehaviour)
    country_code: str = "NL"
    party_id: str = "SBX"
    moved: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)

    def apply_drift(self, kind: str) -> None:
        """Module-side drift (a moved endpoint or a dropped module); versions are the
        partner's business (it owns the versions list)."""
        if kind == "endpoint":
            self.moved.add("locations")
        elif kind == "module":
            self.dropped.add("tariffs")

    def offered(self) -> list[tuple[str, str]]:
        """(module, role) pairs listed in the version details now."""
        gone = self.dropped | set(self.behaviour.dropped)
        pairs = [(m, "SENDER") for m in SENT_MODULES] + [(m, "RECEIVER") for m in RECEIVED_MODULES]
        if self.behaviour.mirrored_roles:
            pairs = [(m, "RECEIVER" if r == "SENDER" else "SENDER") for m, r in pairs]
        return [(m, r) for m, r in pairs if m not in gone]

    def url(self, details_url: str, module: str) -> str:
        return f"{details_url}/v2/{module}" if module in self.moved else f"{details_url}/{module}"

    def endpoints(self, details_url: str, version: str, credentials_url: str) -> dict[str, Any]:
        """The version details body: credentials plus the offered modules."""
        with_roles = version != V211
        credentials: dict[str, Any] = {"identifier": "credentials", "url": credentials_url}
        if with_roles:
            credentials["role"] = "SENDER"  # as our endpoint does (ocpi/ocpi#403)
        listed = [credentials]
        for module, role in self.offered():
            entry: dict[str, Any] = {"identifier": module, "url": self.url(details_url, module)}
            if with_roles:
                entry["role"] = role
            listed.append(entry)
        return {"version": version, "endpoints": listed}

    def data(self, module: str, version: str) -> list[dict[str, Any]]:
        if module == "locations":
            return sample_locations(version, self.country_code, self.party_id)
        if module == "tariffs":
            return sample_tariffs(version, self.country_code, self.party_id)
        return []  # sessions, cdrs: none yet

    def serve(self, request: web.Request, version: str, details_url: str) -> web.Response:
        """A GET of a module list, paginated; anything else is a 404 envelope."""
        canonical = canonical_version(version) or version
        module = next(
            (
                m
                for m, role in self.offered()
                if urlsplit(self.url(details_url, m)).path == request.path.rstrip("/")
            ),
            None,
        )
        sends = module is not None and dict(self.offered()).get(module) == "SENDER"
        if module is None or not sends or request.method not in ("GET", "HEAD"):
            # a Receiver interface (tokens here) takes object URLs, not lists
            return self._reply(request, 404, build_envelope(None, 2000, "unknown resource"))
        try:
            offset = int(request.query.get("offset", "0"))
            limit = min(int(request.query.get("limit", str(MAX_LIMIT))), MAX_LIMIT)
            if offset < 0 or limit < 1:
                raise ValueError
        except ValueError:
            body = build_envelope(None, INVALID_PARAMS, "offset and limit must be whole numbers")
            return self._reply(request, 400, body)
        objects = self.data(module, canonical)
        page = objects[offset : offset + limit]
        headers = {"X-Total-Count": str(len(objects)), "X-Limit": str(limit)}
        if offset + limit < len(objects):
            query = urlencode({"offset": offset + limit, "limit": limit})
            headers["Link"] = f'<{self.url(details_url, module)}?{query}>; rel="next"'
        if self.behaviour.lying_pagination:  # claims nothing is there, hides the next page
            headers = {"X-Total-Count": "0", "X-Limit": str(limit + 9)}
        return self._reply(request, 200, build_envelope(page), headers)

    def _reply(
        self,
        request: web.Request,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        out = dict(headers or {})
        if self.behaviour.echo_request_ids:
            out.update({name: request.headers[name] for name in ECHOED if name in request.headers})
        return web.Response(
            status=status, text=json.dumps(body), content_type="application/json", headers=out
        )


__all__ = ["DRIFTS", "DRIFT_FAULTS", "VERIFY_FAULTS", "ModuleBehaviour", "ModuleLayer"]
