"""Normalisation of what the public form receives: licence plates, VINs, phone numbers,
e-mail addresses.

Phone numbers and addresses have a fast path for their everyday form (a French number, a
plain ASCII address); it gives what the library gives (`phonenumbers`, pydantic's
`EmailStr`), and anything else goes to the library (`tests/test_vehicle.py` holds both to
the same answers)."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic.networks import validate_email

# SIV (since 2009): two letters, three digits, two letters; I, O and U are never used.
_SIV = re.compile(r"^([A-HJ-NP-TV-Z]{2})[-\s]?(\d{3})[-\s]?([A-HJ-NP-TV-Z]{2})$")
# FNI (before 2009): 1-4 digits, 1-3 letters, department (2 digits, 2A/2B or 97x).
_FNI = re.compile(r"^(\d{1,4})[-\s]?([A-Z]{1,3})[-\s]?(\d{2}|2[AB]|97\d)$")
# ISO 3779: 17 characters, letters I, O and Q excluded (confused with 1 and 0).
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def normalise_plate(raw: str) -> str:
    """`ab 123 cd` → `AB-123-CD`; `123abc45` → `123 ABC 45`. ValueError if neither format."""
    value = raw.strip().upper()
    if match := _SIV.match(value):
        return "-".join(match.groups())
    if match := _FNI.match(value):
        return " ".join(match.groups())
    raise ValueError("immatriculation invalide : format AA-123-AA (SIV) ou 123 ABC 45 (FNI)")


def normalise_vin(raw: str) -> str:
    value = raw.strip().upper().replace(" ", "")
    if not _VIN.match(value):
        raise ValueError("VIN invalide : 17 caractères, chiffres et lettres sauf I, O et Q")
    return value


# `06 12 34 56 78`, `06.12.34.56.78`, `+33 6 12 34 56 78`, `0033612345678`.
_FRENCH_PHONE = re.compile(r"(?:\+33 ?|0033 ?|0)([1-9](?:[ .-]?[0-9]{2}){4})")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_EMAIL = re.compile(
    rf"({_ATEXT}(?:\.{_ATEXT})*)@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63})"
)
_SPECIAL_USE_TLDS = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def normalise_phone(raw: str) -> str:
    """A French (or international) number in E.164 form."""
    if match := _FRENCH_PHONE.fullmatch(raw):
        national = re.sub(r"[ .-]", "", match.group(1))
        number = phonenumbers.PhoneNumber(country_code=33, national_number=int(national))
        if not phonenumbers.is_valid_number(number):
            raise ValueError("numéro de téléphone invalide")
        return f"+33{national}"
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("numéro de téléphone invalide") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("numéro de téléphone invalide")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """The address as pydantic's `EmailStr` gives it (domain in lower case, `Name <addr>`
    reduced to the address), without a deliverability check (no DNS on a form post)."""
    if (
        (match := _PLAIN_EMAIL.fullmatch(raw))
        and len(match.group(1)) <= 64
        and len(raw) <= 254
        and "--" not in match.group(2)  # IDNA rules: the library decides
        and match.group(2).rsplit(".", 1)[1].lower() not in _SPECIAL_USE_TLDS
    ):
        return f"{match.group(1)}@{match.group(2).lower()}"
    return validate_email(raw)[1]  # raises a ValueError naming what is wrong
