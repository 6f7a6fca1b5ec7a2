"""Naming templates (their grammar, their longest name, their expansion for one host) and
what the naming-policy API accepts and returns.

A template is literal text (letters, digits, hyphens; folded to upper case) and
placeholders:

| placeholder | becomes | at most |
|---|---|---|
| `{prefix}` | the site's `hostname_prefix` | 6 |
| `{net}` | the network: `A` administratif, `P` pédagogique | 1 |
| `{kind}` | the kind's code (`KIND_CODES`: PC, PO, TAB, COP, IMP, SRV, RES) | 3 |
| `{asset}`, `{asset:N}` | the asset tag folded, other characters removed; its last N | 12, N |
| `{room}`, `{room:N}` | the room code folded likewise; its first N | 20, N |
| `{nn}`, `{nnn}`, `{nnnn}` | the lowest free number, zero-padded (01-99, 001-999, …) | 2-4 |

A template is refused when its longest name exceeds 15 characters (it says how long),
when it has neither a sequence nor `{asset}` (it could name one host only), when it has
two sequences, when a literal starts or ends it with a hyphen, and when its names could
be digits only (add a letter, a hyphen, `{net}` or `{kind}`). Folded values lose their
hyphens at either end, so a placeholder never makes a name start or end with one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import String
from sqlalchemy.orm import InstrumentedAttribute

from guichet_common.text import Text
from imaging.naming.models import (
    ASSET_TAG_MAX_LENGTH,
    HOSTNAME_MAX_LENGTH,
    TEMPLATE_MAX_LENGTH,
    HostKind,
    NamingPolicy,
    Network,
)
from imaging.normalisation import NETBIOS_CHARACTERS, ascii_upper
from imaging.sites.models import Room, Site

KIND_CODES: dict[HostKind, str] = {
    HostKind.DESKTOP: "PC",
    HostKind.LAPTOP: "PO",  # portable
    HostKind.TABLET: "TAB",
    HostKind.COPIER: "COP",
    HostKind.PRINTER: "IMP",  # imprimante
    HostKind.SERVER: "SRV",
    HostKind.NETWORK_DEVICE: "RES",  # équipement réseau
}
KIND_LABELS: dict[HostKind, str] = {
    HostKind.DESKTOP: "Poste fixe",
    HostKind.LAPTOP: "Portable",
    HostKind.TABLET: "Tablette",
    HostKind.COPIER: "Copieur",
    HostKind.PRINTER: "Imprimante",
    HostKind.SERVER: "Serveur",
    HostKind.NETWORK_DEVICE: "Équipement réseau",
}
NETWORK_CODES: dict[Network, str] = {Network.ADMIN: "A", Network.PEDAGOGY: "P"}
NETWORK_LABELS: dict[Network, str] = {
    Network.ADMIN: "Administratif",
    Network.PEDAGOGY: "Pédagogique",
}


def _length(attribute: InstrumentedAttribute[str]) -> int:
    column_type = attribute.property.columns[0].type
    assert isinstance(column_type, String) and column_type.length is not None
    return column_type.length


PREFIX_MAX_LENGTH = _length(Site.hostname_prefix)
ROOM_CODE_MAX_LENGTH = _length(Room.code)
SEQUENCES = {"nn": 2, "nnn": 3, "nnnn": 4}
# Placeholders whose value is the same length for every host.
FIXED = {"net": 1, "kind": max(len(code) for code in KIND_CODES.values())}
# Placeholders whose value may be cut to its first (room) or last (asset) N characters.
SIZED = {"asset": ASSET_TAG_MAX_LENGTH, "room": ROOM_CODE_MAX_LENGTH}
PLACEHOLDERS = ("{prefix}", "{net}", "{kind}", "{asset}", "{room}", "{nn}", "{nnn}", "{nnnn}")

_TOKEN = re.compile(r"\{([A-Za-z]*)(?::([0-9]{1,2}))?\}")

PartKind = Literal["literal", "prefix", "net", "kind", "asset", "room", "sequence"]
_UNSIZED: dict[str, PartKind] = {"prefix": "prefix", "net": "net", "kind": "kind"}
_SIZED_KINDS: dict[str, PartKind] = {"asset": "asset", "room": "room"}


@dataclass(frozen=True)
class Part:
    kind: PartKind
    text: str = ""  # a literal's folded text
    width: int | None = None  # a sequence's digits; the N of `{asset:N}` / `{room:N}`

    @property
    def max_length(self) -> int:
        if self.kind == "literal":
            return len(self.text)
        if self.kind == "prefix":
            return PREFIX_MAX_LENGTH
        if self.kind in FIXED:
            return FIXED[self.kind]
        if self.width is not None:
            return self.width
        return SIZED[self.kind]

    def render(self) -> str:
        if self.kind == "literal":
            return self.text
        if self.kind == "sequence":
            return "{" + "n" * (self.width or 0) + "}"
        return "{" + self.kind + (f":{self.width}" if self.width is not None else "") + "}"


@dataclass(frozen=True)
class Template:
    """A parsed template whose every name is a valid hostname (`parse_template`)."""

    parts: tuple[Part, ...]

    @property
    def max_length(self) -> int:
        return sum(part.max_length for part in self.parts)

    @property
    def sequence_width(self) -> int | None:
        return next((p.width for p in self.parts if p.kind == "sequence"), None)

    @property
    def capacity(self) -> int | None:
        """How many names one pattern has (99 for `{nn}`); None without a sequence."""
        width = self.sequence_width
        return None if width is None else 10**width - 1

    def render(self) -> str:
        return "".join(part.render() for part in self.parts)


@dataclass(frozen=True)
class NameValues:
    """What one host brings to its template."""

    prefix: str
    network: Network
    kind: HostKind
    asset_tag: str
    room_code: str | None


class RoomNeeded(ValueError):
    """The template names hosts after their room, and this host has none."""


@dataclass(frozen=True)
class Pattern:
    """A template expanded for one host: `head` + the number (`width` digits) + `tail`, or
    the name itself (`head`) when the template has no sequence."""

    head: str
    width: int | None
    tail: str

    @property
    def capacity(self) -> int:
        return 1 if self.width is None else 10**self.width - 1

    def name(self, number: int | None = None) -> str:
        if self.width is None or number is None:
            return self.head + self.tail
        return f"{self.head}{number:0{self.width}d}{self.tail}"

    def __str__(self) -> str:
        return self.head + "#" * (self.width or 0) + self.tail


def fold_value(raw: str) -> str:
    """A value as a name part: accents removed, upper case, only letters, digits and
    hyphens kept, no hyphen at either end (`Salle B-12 ` → `SALLEB-12`)."""
    return "".join(c for c in ascii_upper(raw) if c in NETBIOS_CHARACTERS).strip("-")


def _placeholder(name: str, size: str | None) -> Part:
    key = name.lower()
    if key in SEQUENCES and size is None:
        return Part("sequence", width=SEQUENCES[key])
    if key in _UNSIZED and size is None:
        return Part(_UNSIZED[key])
    if key in _SIZED_KINDS:
        kind = _SIZED_KINDS[key]
        if size is None:
            return Part(kind)
        width = int(size)
        if not 1 <= width <= SIZED[key]:
            raise ValueError(f"{{{key}:N}} takes N from 1 to {SIZED[key]}, not {width}")
        return Part(kind, width=width)
    shown = "{" + name + (f":{size}" if size is not None else "") + "}"
    raise ValueError(f"unknown placeholder {shown}: use {', '.join(PLACEHOLDERS)}")


def _literal(raw: str) -> Part:
    if "{" in raw or "}" in raw:
        raise ValueError("a brace that opens or closes no placeholder")
    text = ascii_upper(raw)
    wrong = sorted(set(text) - NETBIOS_CHARACTERS)
    if wrong:
        raise ValueError(f"letters, digits and hyphens only outside placeholders, not {wrong}")
    return Part("literal", text=text)


def _describe(parts: tuple[Part, ...]) -> str:
    return " + ".join(f"{p.render()} {p.max_length}" for p in parts)


def parse_template(raw: str) -> Template:
    """The template, if every name it can give is a valid hostname; ValueError otherwise,
    saying why (and for one that is too long, the length it can reach)."""
    parts: list[Part] = []
    position = 0
    for match in _TOKEN.finditer(raw):
        if match.start() > position:
            parts.append(_literal(raw[position : match.start()]))
        parts.append(_placeholder(match.group(1), match.group(2)))
        position = match.end()
    if position < len(raw):
        parts.append(_literal(raw[position:]))
    template = Template(tuple(parts))
    kinds = [part.kind for part in template.parts]
    if kinds.count("sequence") > 1:
        raise ValueError("one sequence ({nn}, {nnn} or {nnnn}) at most")
    if "sequence" not in kinds and "asset" not in kinds:
        raise ValueError(
            "needs a sequence ({nn}, {nnn}, {nnnn}) or {asset}: otherwise it gives one name only"
        )
    if template.max_length > HOSTNAME_MAX_LENGTH:
        raise ValueError(
            f"can reach {template.max_length} characters ({_describe(template.parts)}); a "
            f"hostname has at most {HOSTNAME_MAX_LENGTH}"
        )
    first, last = template.parts[0], template.parts[-1]
    if (first.kind == "literal" and first.text.startswith("-")) or (
        last.kind == "literal" and last.text.endswith("-")
    ):
        raise ValueError("must not start or end with a hyphen")
    if not any(
        part.kind in ("net", "kind") or (part.kind == "literal" and not part.text.isdigit())
        for part in template.parts
    ):
        raise ValueError(
            "could give names of digits only ({prefix}, {asset}, {room} and the sequence may "
            "all be digits): add a letter, a hyphen, {net} or {kind}"
        )
    return template


def expand(template: Template, values: NameValues) -> Pattern:
    """The template for one host: everything but the sequence filled in."""
    pieces: list[str] = []
    head: str | None = None
    width: int | None = None
    for part in template.parts:
        if part.kind == "sequence":
            head, width, pieces = "".join(pieces), part.width, []
        else:
            pieces.append(_value(part, values))
    if head is None:
        return Pattern("".join(pieces), None, "")
    return Pattern(head, width, "".join(pieces))


def _value(part: Part, values: NameValues) -> str:
    if part.kind == "literal":
        return part.text
    if part.kind == "prefix":
        return fold_value(values.prefix)
    if part.kind == "net":
        return NETWORK_CODES[values.network]
    if part.kind == "kind":
        return KIND_CODES[values.kind]
    if part.kind == "asset":
        asset = fold_value(values.asset_tag)
        return asset if part.width is None else asset[-part.width :].strip("-")
    if values.room_code is None:
        raise RoomNeeded("the naming policy names hosts after their room: give room_code")
    room = fold_value(values.room_code)
    return room if part.width is None else room[: part.width].strip("-")


def _template(value: str) -> str:
    rendered = parse_template(value).render()
    if len(rendered) > TEMPLATE_MAX_LENGTH:  # upper case may lengthen literals: `ß` is `SS`
        raise ValueError(f"at most {TEMPLATE_MAX_LENGTH} characters once in upper case")
    return rendered


TemplateText = Annotated[
    Text,
    Field(
        min_length=1,
        max_length=TEMPLATE_MAX_LENGTH,
        description="Literal letters, digits, hyphens and placeholders "
        f"({', '.join(PLACEHOLDERS)}, `{{asset:N}}`, `{{room:N}}`); every name it gives "
        f"must fit in {HOSTNAME_MAX_LENGTH} characters",
        examples=["{prefix}-{net}{kind}-{nnn}"],
    ),
    AfterValidator(_template),
]


# --- the API -------------------------------------------------------------------------------


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    site_code: Text | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="The site it names hosts of; null: sites without a policy of their own",
    )
    kind: HostKind | None = Field(default=None, description="The kind it names; null: any")
    template: TemplateText


class PolicyPatch(BaseModel):
    """The template changes; hosts already named keep their names."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    template: TemplateText


class PolicyOut(BaseModel):
    id: UUID
    site_code: str | None = Field(description="null: the policy of sites without their own")
    kind: HostKind | None = Field(description="null: every kind without a policy of its own")
    kind_label: str | None
    template: str
    is_default: bool = Field(description="The policy of last resort: cannot be deleted")
    max_length: int = Field(description="The longest name the template can give")
    capacity: int | None = Field(
        description="How many hosts one pattern can name (99 for {nn}); null: by asset tag"
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, policy: NamingPolicy) -> PolicyOut:
        template = parse_template(policy.template)
        return cls(
            id=policy.id,
            site_code=policy.site.code if policy.site is not None else None,
            kind=policy.host_kind,
            kind_label=KIND_LABELS[policy.host_kind] if policy.host_kind else None,
            template=policy.template,
            is_default=policy.is_default,
            max_length=template.max_length,
            capacity=template.capacity,
            created_at=policy.created_at,
            updated_at=policy.updated_at,
        )
