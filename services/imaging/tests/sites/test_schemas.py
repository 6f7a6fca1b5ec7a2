"""The sites API's payloads on their own: codes, prefixes, départements, contacts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from imaging.sites.schemas import Contact, RoomIn, SiteIn, derived_prefix


@pytest.mark.parametrize(
    ("code", "prefix"),
    [
        ("CHECY-CLG", "CHECYC"),
        ("Chécy", "CHECY"),
        ("St-Jean-de-Braye", "STJEAN"),
        ("45-CLG-01", "45CLG0"),
        ("ΑΘΗΝΑ", ""),
    ],
)
def test_the_prefix_is_the_codes_first_six_ascii_letters_and_digits(code: str, prefix: str) -> None:
    assert derived_prefix(code) == prefix


def test_a_code_is_kept_in_its_composed_form() -> None:
    decomposed = "Che\u0301cy-CLG"  # é typed as e + combining acute accent
    assert SiteIn.model_validate({"code": decomposed, "name": "X", "zone": "B"}).code == (
        "Chécy-CLG"
    )


def test_room_codes_are_upper_case() -> None:
    assert RoomIn.model_validate({"code": " salle-b1 ", "name": "B1"}).code == "SALLE-B1"


@pytest.mark.parametrize(
    ("email", "kept"),
    [
        ("Secretariat@AC-Orleans-Tours.FR", "Secretariat@ac-orleans-tours.fr"),
        ("ce.0450782f@ac-orleans-tours.fr", "ce.0450782f@ac-orleans-tours.fr"),
        ("no-at-sign.example.org", None),
        ("two@@example.org", None),
        ("space in@example.org", None),
        ("name@localhost", None),
    ],
)
def test_a_contacts_email_is_checked(email: str, kept: str | None) -> None:
    if kept is None:
        with pytest.raises(ValidationError) as refused:
            Contact.model_validate({"name": "X", "email": email})
        assert [e["loc"] for e in refused.value.errors()] == [("email",)]
    else:
        assert Contact.model_validate({"name": "X", "email": email}).email == kept


@pytest.mark.parametrize("phone", ["02 38 00 00 00", "+33 2 38 00 00 00", "(0)2.38.00.00.00"])
def test_a_phone_number_may_be_written_as_people_do(phone: str) -> None:
    assert Contact.model_validate({"name": "X", "phone": phone}).phone == phone


@pytest.mark.parametrize("phone", ["poste 12", "12", "+", "02 38 + 00 00 00", "(---)"])
def test_a_phone_number_has_digits(phone: str) -> None:
    with pytest.raises(ValidationError):
        Contact.model_validate({"name": "X", "phone": phone})
