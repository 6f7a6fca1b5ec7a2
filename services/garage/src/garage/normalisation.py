"""Normalisation of what a client types in the public form: licence plates, VINs, phone
numbers (`phonenumbers`), e-mail addresses (pydantic's `EmailStr` rules)."""

from __future__ import annotations

import re

import phonenumbers
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
        letters, digits, suffix = match.groups()
        # Never issued by the SIV: the number block 000 and the letter pair SS.
        if digits == "000":
            raise ValueError(
                "immatriculation invalide : le bloc de chiffres 000 n'est jamais attribué"
            )
        if "SS" in (letters, suffix):
            raise ValueError(
                "immatriculation invalide : la série de lettres SS n'est jamais attribuée"
            )
        return f"{letters}-{digits}-{suffix}"
    if match := _FNI.match(value):
        return " ".join(match.groups())
    raise ValueError("immatriculation invalide : format AA-123-AA (SIV) ou 123 ABC 45 (FNI)")


def is_provisional_plate(plate: str) -> bool:
    """The SIV's WW series (a normalised plate): a provisional registration."""
    return plate.startswith("WW-")


def normalise_vin(raw: str) -> str:
    value = raw.strip().upper().replace(" ", "")
    if not _VIN.match(value):
        raise ValueError("VIN invalide : 17 caractères, chiffres et lettres sauf I, O et Q")
    return value


def normalise_phone(raw: str) -> str:
    """A French (or international) number in E.164 form."""
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
    return validate_email(raw)[1]  # raises a ValueError naming what is wrong
