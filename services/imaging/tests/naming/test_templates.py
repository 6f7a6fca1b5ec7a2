"""Templates: their grammar, the longest name each can give, their expansion for a host."""

from __future__ import annotations

import pytest

from imaging.naming.models import HostKind, Network
from imaging.naming.schemas import (
    KIND_CODES,
    NameValues,
    Pattern,
    RoomNeeded,
    expand,
    fold_value,
    parse_template,
)


def values(**overrides: object) -> NameValues:
    fields: dict[str, object] = {
        "prefix": "CHECYC",
        "network": Network.PEDAGOGY,
        "kind": HostKind.DESKTOP,
        "asset_tag": "GPI-0042",
        "room_code": "B104",
        **overrides,
    }
    return NameValues(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("template", "longest", "capacity"),
    [
        ("{prefix}-{net}{kind}-{nnn}", 15, 999),  # the default policy
        ("{prefix}{kind}{nnnn}", 13, 9999),
        ("{prefix}-{nn}", 9, 99),
        ("{net}{asset}", 13, None),
        ("{kind}{asset}", 15, None),
        ("{prefix}{room:4}-{nn}", 13, 99),
        ("PC-{asset:6}-{nn}", 12, 99),
        ("{PREFIX}-{Net}{KIND}{nnn}", 14, 999),  # placeholders in any case
    ],
)
def test_the_longest_name_is_computed_from_each_part(
    template: str, longest: int, capacity: int | None
) -> None:
    parsed = parse_template(template)
    assert parsed.max_length == longest
    assert parsed.capacity == capacity


def test_literals_are_folded_and_placeholders_kept() -> None:
    assert parse_template("{PREFIX}-pé{nn}").render() == "{prefix}-PE{nn}"
    assert parse_template("x{room:3}{asset:4}").render() == "X{room:3}{asset:4}"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        # A room code has up to 20 characters, an asset tag up to 12, a prefix up to 6.
        ("{prefix}-{room}-{nn}", "can reach 30 characters"),
        ("{prefix}{asset}", "can reach 18 characters"),
        ("{prefix}-{net}{kind}-{nnnn}", "can reach 16 characters"),
        ("ABCDEFGHIJKLMN{nn}", "can reach 16 characters"),
        ("{prefix}{net}", "needs a sequence"),
        ("PC-01", "needs a sequence"),
        ("{prefix}{nn}{nnn}", "one sequence"),
        ("{nnn}", "could give names of digits only"),
        ("{prefix}{nnn}", "could give names of digits only"),
        ("{asset}", "could give names of digits only"),
        ("{room:3}0{nn}", "could give names of digits only"),
        ("-{kind}{nn}", "must not start or end with a hyphen"),
        ("{kind}{nn}-", "must not start or end with a hyphen"),
        ("{site}{nn}", "unknown placeholder {site}"),
        ("{n}{kind}", "unknown placeholder {n}"),
        ("{prefix:3}{nn}", "unknown placeholder {prefix:3}"),
        ("{asset:13}P", "{asset:N} takes N from 1 to 12, not 13"),
        ("{room:0}P{nn}", "{room:N} takes N from 1 to 20, not 0"),
        ("PC{nn", "a brace that opens or closes no placeholder"),
        ("PC_{nn}", "letters, digits and hyphens only outside placeholders"),
        ("PC {nn}", "letters, digits and hyphens only outside placeholders"),
    ],
)
def test_a_template_that_could_give_an_invalid_name_is_refused(template: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("{", r"\{").replace("}", r"\}")):
        parse_template(template)


def test_the_message_of_a_long_template_says_where_the_length_comes_from() -> None:
    with pytest.raises(ValueError) as refused:
        parse_template("{prefix}-{room}-{nn}")
    assert str(refused.value) == (
        "can reach 30 characters ({prefix} 6 + - 1 + {room} 20 + - 1 + {nn} 2); a hostname "
        "has at most 15"
    )


def test_each_kind_has_a_short_code() -> None:
    assert set(KIND_CODES) == set(HostKind)
    assert KIND_CODES[HostKind.LAPTOP] == "PO"
    assert all(1 <= len(code) <= 3 and code.isalpha() for code in KIND_CODES.values())
    assert len(set(KIND_CODES.values())) == len(KIND_CODES)


def test_a_template_is_expanded_but_for_its_sequence() -> None:
    pattern = expand(parse_template("{prefix}-{net}{kind}-{nnn}"), values())
    assert pattern == Pattern("CHECYC-PPC-", 3, "")
    assert [pattern.name(n) for n in (1, 42, 999)] == [
        "CHECYC-PPC-001",
        "CHECYC-PPC-042",
        "CHECYC-PPC-999",
    ]
    assert str(pattern) == "CHECYC-PPC-###"
    laptop = expand(
        parse_template("{net}{kind}{nn}X"),
        values(kind=HostKind.LAPTOP, network=Network.ADMIN),
    )
    assert (laptop.name(7), laptop.capacity) == ("APO07X", 99)


def test_values_are_folded_cut_and_lose_their_outer_hyphens() -> None:
    assert fold_value(" Salle é-12_b ") == "SALLEE-12B"
    assert fold_value("-x-") == "X"
    by_asset = expand(parse_template("P{asset}"), values(asset_tag="gpi-0042"))
    assert (by_asset.width, by_asset.name()) == (None, "PGPI-0042")
    # The last 5 of the asset tag are `-0042`: its hyphen does not lead the part.
    assert expand(parse_template("P{asset:5}"), values()).name() == "P0042"
    by_room = expand(parse_template("{prefix}{room:3}-{nn}"), values(room_code="Labo-SVT"))
    assert by_room.name(1) == "CHECYCLAB-01"


def test_a_room_placeholder_needs_a_room() -> None:
    with pytest.raises(RoomNeeded):
        expand(parse_template("{room:4}-{nn}"), values(room_code=None))
