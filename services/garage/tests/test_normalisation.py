from __future__ import annotations

import pytest

from garage.normalisation import (
    is_provisional_plate,
    normalise_email,
    normalise_phone,
    normalise_plate,
    normalise_vin,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AB-123-CD", "AB-123-CD"),
        ("ab 123 cd", "AB-123-CD"),
        ("ab123cd", "AB-123-CD"),
        ("123 abc 45", "123 ABC 45"),
        ("1234AB2A", "1234 AB 2A"),
        ("12 A 974", "12 A 974"),
    ],
)
def test_plates_are_normalised(raw: str, expected: str) -> None:
    assert normalise_plate(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "AB-12-CD", "AI-123-CD", "AB-123-CO", "ABCDEFG", "12345 AB 12"]
)
def test_bad_plates_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="immatriculation"):
        normalise_plate(raw)


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("AB-000-CD", "le bloc de chiffres 000 n'est jamais attribué"),
        ("ab 000 cd", "le bloc de chiffres 000 n'est jamais attribué"),
        ("SS-123-AB", "la série de lettres SS n'est jamais attribuée"),
        ("AB-123-SS", "la série de lettres SS n'est jamais attribuée"),
    ],
)
def test_siv_blocks_never_issued_are_refused_naming_the_rule(raw: str, rule: str) -> None:
    with pytest.raises(ValueError, match=rule):
        normalise_plate(raw)


def test_the_ww_series_is_a_provisional_registration() -> None:
    plate = normalise_plate("ww-123-ab")
    assert plate == "WW-123-AB" and is_provisional_plate(plate)
    assert not is_provisional_plate(normalise_plate("AW-123-WW"))
    assert not is_provisional_plate("123 WW 45")  # FNI: WW is an ordinary series there


def test_vin_is_17_characters_without_i_o_q() -> None:
    assert normalise_vin(" vf1rja00012345678 ") == "VF1RJA00012345678"
    for bad in ("VF1RJA0001234567", "VF1RJA000123456789", "VF1RJA0001234567I", "VF1OJA00012345678"):
        with pytest.raises(ValueError, match="VIN"):
            normalise_vin(bad)


def test_phone_numbers_become_e164() -> None:
    assert normalise_phone("06 12 34 56 78") == "+33612345678"
    assert normalise_phone("+32 470 12 34 56") == "+32470123456"
    with pytest.raises(ValueError):
        normalise_phone("12")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0612345678", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033 612345678", "+33612345678"),
        ("01 42 68 53 00", "+33142685300"),
    ],
)
def test_french_numbers_in_every_usual_form(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["06 39 12 34 56", "08 00 00 00 00 00", "06 12 34 56", "abc"])
def test_numbers_outside_the_numbering_plan_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="téléphone"):
        normalise_phone(raw)


def test_addresses_are_normalised_like_emailstr() -> None:
    assert normalise_email("Claire.Martin@Example.ORG") == "Claire.Martin@example.org"
    assert normalise_email("Claire <claire@Example.org>") == "claire@example.org"
    for bad in ("pas une adresse", "@ok.fr", "me@", "m..e@ok.fr", "me@-bad.fr"):
        with pytest.raises(ValueError):
            normalise_email(bad)
