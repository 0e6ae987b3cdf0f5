"""Partner profiles: what is known about one partner's way of speaking OCPI, as data.

A profile is a TOML file (docs/cli-contract.md, "A profile file"; every key optional) or a built-in
preset in resources/profiles/. Rules of this module:
- Pure: reading, validating, merging and describing profiles. No network, no vault.
- The command line wins over the profile; the profile wins over the defaults (`merge`).
- A profile's `name` key is its human title; the name a profile is called by is its file
  stem (`gireve-hub`), so `profiles show gireve-hub` and `--profile gireve-hub` agree.
- Relative paths in a file are relative to that file. At registration the PEM contents are
  copied into the vault (the key encrypted): later commands never read the files again.
- What a run learns (the partner took plain tokens, it speaks only 2.1.1) becomes a
  proposal shown to the person (`propose`), never a silent change of the profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

from app.core.ocpi import SUPPORTED_VERSIONS, canonical_version

Encoding = Literal["auto", "base64", "plain"]
Rotation = Literal["put", "delete-register"]
Initiator = Literal["either", "partner", "us"]  # who mints TOKEN_A
ENCODINGS: tuple[Encoding, ...] = get_args(Encoding)
ROTATIONS: tuple[Rotation, ...] = get_args(Rotation)
INITIATORS: tuple[Initiator, ...] = get_args(Initiator)
PATH_KEYS = ("client_cert", "client_key", "ca_bundle")
MAX_PROFILE_BYTES = 64 * 1024
# Field markers: a key of the profile file in the CLI contract; a fact about a hub.
_CONTRACT = {"contract": True}
_HUB_FACT = {"hub_fact": True}


class ProfileError(ValueError):
    """A profile that cannot be used, with a message naming the key and the fix."""


@dataclass(frozen=True)
class Profile:
    """Every key of the contract with its default, plus notes and hub facts."""

    name: str = "default"  # what it is called by (file stem, preset name, or CC-PID)
    title: str = "Spec-faithful partner (defaults)"
    source: str = "default"  # "builtin", a file path, or "vault"
    # pin instead of the highest mutual version
    ocpi_version: str | None = field(default=None, metadata=_CONTRACT)
    # "auto" | "base64" | "plain" ("raw" is read as "plain")
    token_encoding: Encoding = field(default="auto", metadata=_CONTRACT)
    routing_headers: bool = field(default=False, metadata=_CONTRACT)  # OCPI-from/to-* on modules
    rotation: Rotation = field(default="put", metadata=_CONTRACT)
    # wait before the first call with TOKEN_C
    activation_delay_s: float = field(default=0.0, metadata=_CONTRACT)
    # cap for paginated GETs (None: the partner's default)
    page_limit: int | None = field(default=None, metadata=_CONTRACT)
    # path in a file profile; PEM text once in the vault
    client_cert: str | None = field(default=None, metadata=_CONTRACT)
    # path, then PEM: never shown
    client_key: str | None = field(default=None, repr=False, metadata=_CONTRACT)
    ca_bundle: str | None = field(default=None, metadata=_CONTRACT)
    client_cert_required: bool = False  # the partner refuses connections without one
    # hub identity, e.g. "DEENA" (2.3.0) or "FR107"
    hub_party_id: str | None = field(default=None, metadata=_HUB_FACT)
    # who mints TOKEN_A: "partner", "us" or "either"
    token_a_from: Initiator = field(default="either", metadata=_HUB_FACT)
    notes: str = ""
    reference: str = ""  # the public source the preset's facts come from

    # ---- reading ---------------------------------------------------------------------
    @classmethod
    def from_toml(cls, text: str, name: str, source: str, base: Path | None = None) -> Profile:
        """Parse and validate a profile's TOML text; ProfileError names what is wrong."""
        import tomllib  # with the first file read: the engine's start reads none (issue 13)

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(f"profile {name}: not valid TOML ({exc})") from None
        return cls.from_mapping(data, name, source, base)

    @classmethod
    def from_mapping(
        cls, data: dict[str, Any], name: str, source: str, base: Path | None = None
    ) -> Profile:
        known = {f.name for f in fields(cls)} - {"name", "source", "title"}
        values: dict[str, Any] = {"name": name, "source": source}
        for key, value in data.items():
            if key == "name" or key == "title":
                values["title"] = _text(key, value, name)
            elif key not in known:
                raise ProfileError(
                    f"profile {name}: unknown key {key!r}; known keys: {', '.join(sorted(known))}"
                )
            else:
                values[key] = _check(key, value, name, base)
        return cls(**values)

    # ---- using -----------------------------------------------------------------------
    @property
    def engine_encoding(self) -> str:
        """The runner's spelling ("raw" for plain)."""
        return "raw" if self.token_encoding == "plain" else self.token_encoding

    @property
    def mutual_tls(self) -> bool:
        return bool(self.client_cert and self.client_key)

    def merge(self, **cli: Any) -> Profile:
        """The command line wins: every non-None keyword replaces the profile's value."""
        changes = {k: _check(k, v, self.name, None) for k, v in cli.items() if v is not None}
        return replace(self, **changes) if changes else self

    def to_json(self, secrets_shown: bool = False) -> dict[str, Any]:
        """Every key with its value (defaults filled in). A loaded key or certificate is
        shown as "stored" (the PEM text is never printed), a path as the path."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in PATH_KEYS:
            value = out[key]
            if isinstance(value, str) and value.lstrip().startswith("-----BEGIN"):
                out[key] = "stored in the vault" + (" (encrypted)" if key == "client_key" else "")
        return out

    def summary(self) -> str:
        """The changes in a few words, one line (the wizard's Partner type)."""
        default = Profile()
        parts: list[str] = []
        if self.ocpi_version:
            parts.append(f"OCPI {self.ocpi_version} only")
        if self.token_encoding != default.token_encoding:
            parts.append(f"{'Base64' if self.token_encoding == 'base64' else 'plain'} tokens")
        if self.routing_headers:
            parts.append("routing headers on module calls")
        if self.rotation == "delete-register":
            parts.append("rotation: DELETE + new registration with a fresh TOKEN_A")
        if self.activation_delay_s:
            parts.append(f"waits up to {self.activation_delay_s:g} s for new credentials")
        if self.page_limit:
            parts.append(f"pages of {self.page_limit}")
        if self.client_cert_required:
            parts.append("mutual TLS required (key kept encrypted)")
        if self.hub_party_id:
            parts.append(f"hub {self.hub_party_id}")
        if self.token_a_from == "partner":
            parts.append("the hub issues TOKEN_A")
        return (
            " · ".join(parts)
            if parts
            else "the defaults: highest mutual version, automatic encoding"
        )

    def changes(self) -> list[str]:
        """What this profile changes against the defaults, in plain words (GUI, notes)."""
        default = Profile()
        said: list[str] = []
        if self.ocpi_version:
            said.append(f"Uses OCPI {self.ocpi_version} only (no negotiation upwards).")
        if self.token_encoding != default.token_encoding:
            form = "Base64" if self.token_encoding == "base64" else "plain (unencoded)"
            said.append(f"Sends the token in {form} form, whatever the version says.")
        if self.routing_headers:
            said.append(
                "Adds OCPI-from/to routing headers on module calls (never on versions,"
                " details or credentials)."
            )
        if self.rotation == "delete-register":
            said.append(
                "Rotates by DELETE and a new registration with a fresh TOKEN_A from the hub,"
                " not by PUT."
            )
        if self.activation_delay_s:
            said.append(
                f"Waits {self.activation_delay_s:g} s before the first call with TOKEN_C"
                " (new credentials take time to activate)."
            )
        if self.page_limit:
            said.append(f"Asks for at most {self.page_limit} objects per page.")
        if self.client_cert_required:
            said.append(
                "Requires mutual TLS: a client certificate and key must be given; the key is"
                " kept encrypted in the vault, the PEM files may be deleted afterwards."
            )
        elif self.client_cert or self.client_key:
            said.append("Presents a client certificate (mutual TLS); the key is kept encrypted.")
        if self.ca_bundle:
            said.append("Trusts the partner's own certificate authority.")
        if self.hub_party_id:
            said.append(f"Expects the hub to present itself as {self.hub_party_id}.")
        if self.token_a_from == "partner":
            said.append("The partner issues TOKEN_A: we register with them (Sender).")
        elif self.token_a_from == "us":
            said.append("We issue TOKEN_A: invite the partner (Receiver).")
        return said or ["Nothing: the defaults (highest mutual version, automatic encoding)."]


# The profile file's keys in the CLI contract, in declaration order; with the hub facts,
# every key a person sees for a stored profile (the GUI's profile view).
CONTRACT_KEYS: tuple[str, ...] = tuple(
    f.name for f in fields(Profile) if f.metadata.get("contract")
)
SHOWN_KEYS: tuple[str, ...] = tuple(
    f.name for f in fields(Profile) if f.metadata.get("contract") or f.metadata.get("hub_fact")
)


def _text(key: str, value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ProfileError(f"profile {name}: {key} must be text, got {type(value).__name__}")
    return value.strip()


def _check(key: str, value: Any, name: str, base: Path | None) -> Any:
    """One key's value, validated (and a relative path resolved against the file)."""
    where = f"profile {name}: {key}"
    if key == "ocpi_version":
        if value is None:
            return None
        canonical = canonical_version(value) if isinstance(value, str) else None
        if canonical is None or canonical not in SUPPORTED_VERSIONS:
            raise ProfileError(f"{where} must be one of {', '.join(SUPPORTED_VERSIONS)}")
        return canonical
    if key == "token_encoding":
        value = "plain" if value == "raw" else value
        if value not in ENCODINGS:
            raise ProfileError(f"{where} must be one of {', '.join(ENCODINGS)} (or raw)")
        return value
    if key in ("routing_headers", "client_cert_required"):
        if not isinstance(value, bool):
            raise ProfileError(f"{where} must be true or false")
        return value
    if key == "rotation":
        if value not in ROTATIONS:
            raise ProfileError(f"{where} must be one of {', '.join(ROTATIONS)}")
        return value
    if key == "activation_delay_s":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 600:
            raise ProfileError(f"{where} must be a number of seconds from 0 to 600")
        return float(value)
    if key == "page_limit":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10000:
            raise ProfileError(f"{where} must be a whole number from 1 to 10000")
        return value
    if key == "token_a_from":
        if value not in INITIATORS:
            raise ProfileError(f"{where} must be one of {', '.join(INITIATORS)}")
        return value
    if key == "hub_party_id":
        text = _text(key, value, name).upper()
        if not (1 <= len(text) <= 5 and text.isalnum()):
            raise ProfileError(f"{where} must be up to 5 letters or digits (e.g. DEENA)")
        return text
    if key in PATH_KEYS:
        text = _text(key, value, name)
        if text.startswith("-----BEGIN") or base is None:
            return text
        path = Path(text).expanduser()
        return str(path if path.is_absolute() else (base / path).resolve())
    return _text(key, value, name)


@dataclass
class Proposal:
    """Something a run learnt that the profile does not say yet."""

    key: str
    value: Any
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "why": self.why}


@dataclass
class Learnt:
    """What one run saw of the partner, for `propose`."""

    switched_to: str | None = None  # the token form the partner took after refusing the other
    versions_offered: list[str] = field(default_factory=list)


def propose(profile: Profile, learnt: Learnt) -> list[Proposal]:
    """Proposals for the profile from what a run learnt; the person decides."""
    out: list[Proposal] = []
    seen = "plain" if learnt.switched_to == "raw" else learnt.switched_to
    if seen in ENCODINGS and seen != profile.token_encoding:
        out.append(
            Proposal("token_encoding", seen, f"the partner accepted only the {seen} token form")
        )
    offered = {canonical_version(v) for v in learnt.versions_offered} - {None}
    if offered == {"2.1.1"} and profile.ocpi_version is None:
        out.append(Proposal("ocpi_version", "2.1.1", "the partner offers only OCPI 2.1.1"))
    return out
