from __future__ import annotations

import pytest

from garage.vehicle import normalise_phone, normalise_plate, normalise_vin


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
