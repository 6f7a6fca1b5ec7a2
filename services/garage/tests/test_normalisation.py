from __future__ import annotations

import phonenumbers
import pytest
from pydantic import BaseModel, EmailStr, ValidationError

from garage.vehicle import normalise_email, normalise_phone, normalise_plate, normalise_vin


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


def _library_phone(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class _EmailStr(BaseModel):
    email: EmailStr


def _library_email(raw: str) -> str | None:
    try:
        return _EmailStr(email=raw).email
    except ValidationError:
        return None


def _ours(normalise: object, raw: str) -> str | None:
    assert callable(normalise)
    try:
        result = normalise(raw)
    except ValueError:
        return None
    assert isinstance(result, str)
    return result


PHONES = [
    "06 12 34 56 78", "0612345678", "06.12.34.56.78", "06-12-34-56-78", "+33 6 12 34 56 78",
    "+33612345678", "0033 612345678", "01 42 68 53 00", "09 70 12 34 56", "07 51 23 45 67",
    # Valid in form, refused by the numbering plan: the fast path must refuse them too.
    "06 39 12 34 56", "07 01 23 45 67", "08 00 00 00 00", "05 99 99 99 99", "00 12 34 56 78",
    "+33 0 6 12 34 56 78", "+33 (0)6 12 34 56 78", "+32 470 12 34 56", "12", "06 12 34 56",
    "06 12 34 56 78\n", "06 \uff11\uff12 \uff13\uff14 \uff15\uff16 \uff17\uff18",  # full width
]  # fmt: skip

EMAILS = [
    "claire.martin@example.org", "Claire.Martin@Example.ORG", "a+tag@sub.domain.fr",
    "o'neil@lycee.fr", "x@y.fr", "under_score@acad-lyon.fr", "me@localhost", "me@host.test",
    "me@host.local", "me@exa--mple.com", "me@xn--bcher-kva.de", "me@123.456", "me@-bad.fr",
    "me@bad-.fr", ".me@ok.fr", "me.@ok.fr", "m..e@ok.fr", "me@ok..fr", "me@ok.f",
    "élève@lycée.fr", "pas une adresse", "@ok.fr", "me@", f"{'a' * 65}@ok.fr",
    f"me@{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 57}.fr", "me@ok.fr\n",
    "Claire <claire@Example.org>",
]  # fmt: skip


@pytest.mark.parametrize("raw", PHONES)
def test_phone_fast_path_answers_like_the_library(raw: str) -> None:
    assert _ours(normalise_phone, raw) == _library_phone(raw)


@pytest.mark.parametrize("raw", EMAILS)
def test_email_fast_path_answers_like_the_library(raw: str) -> None:
    assert _ours(normalise_email, raw) == _library_email(raw)
