"""Garage settings: `GARAGE_*` variables override the shared `GUICHET_*` ones.

Prices, VAT status and legal mentions are configuration validated by the agent comptable
(the school board votes the hourly rate), never code: they live here.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, field_validator

from guichet_common.settings import CommonSettings

# Its schema, API prefix, API-key scopes and routing keys.
SERVICE = "garage"


class CatalogueLine(BaseModel):
    model_config = ConfigDict(frozen=True)  # hashable: drafts are priced once per line-up

    kind: str  # labour | part | fee
    label: str
    quantity: Decimal
    unit_price: Decimal | None = None  # None for labour: the voted hourly rate applies
    parts_origin: str | None = None  # new | used | client (parts only)


def _line(kind: str, label: str, quantity: str, price: str | None = None) -> CatalogueLine:
    origin = "new" if kind == "part" else None
    return CatalogueLine(
        kind=kind,
        label=label,
        quantity=Decimal(quantity),
        unit_price=Decimal(price) if price is not None else None,
        parts_origin=origin,
    )


DEFAULT_CATALOGUE: dict[str, list[CatalogueLine]] = {
    "diagnostic": [_line("labour", "Diagnostic électronique et contrôle", "1")],
    "oil_change": [
        _line("labour", "Vidange moteur", "0.5"),
        _line("part", "Huile moteur (5 L)", "1", "35.00"),
        _line("part", "Filtre à huile", "1", "12.00"),
        _line("fee", "Recyclage des huiles usagées", "1", "3.00"),
    ],
    "tyres": [
        _line("labour", "Montage et équilibrage de 4 pneumatiques", "1"),
        _line("fee", "Valves et masses d'équilibrage", "4", "2.50"),
    ],
    "air_conditioning": [
        _line("labour", "Recharge climatisation", "1"),
        _line("part", "Gaz réfrigérant R1234yf (500 g)", "1", "45.00"),
    ],
    "alignment": [_line("labour", "Contrôle et réglage de la géométrie", "1")],
    "brakes": [
        _line("labour", "Remplacement plaquettes avant", "1.5"),
        _line("part", "Jeu de plaquettes avant", "1", "40.00"),
        _line("part", "Liquide de frein (1 L)", "1", "9.00"),
    ],
    "maintenance": [
        _line("labour", "Entretien périodique constructeur", "2"),
        _line("part", "Kit filtres (huile, air, habitacle)", "1", "45.00"),
        _line("part", "Huile moteur (5 L)", "1", "35.00"),
    ],
}


class GarageSettings(CommonSettings):
    service_prefix = "GARAGE_"

    hourly_rate: Decimal = Decimal("20.00")  # HT, per the school board decision below
    board_decision: str = "Délibération du conseil d'administration n° 2026-14 du 12/06/2026"
    # One VAT status drives both the mention printed and the totals: a liable seller
    # charges `vat_rate` and prints its VAT number; one that is not charges none and
    # prints `vat_exemption_mention`.
    vat_liable: bool = True
    vat_rate: Decimal = Decimal("0.20")
    vat_exemption_mention: str = "TVA non applicable, art. 256 B du CGI"
    # The seller's identity: no quote or invoice is issued until it is set (a French
    # devis or facture without it is not valid).
    seller_name: str | None = None
    seller_address: str | None = None
    seller_siret: str | None = None
    seller_vat_number: str | None = None  # required when `vat_liable`
    payment_terms: str = (
        "Paiement à la remise du véhicule auprès de l'agent comptable ou du régisseur."
    )
    legal_mentions: str = (
        "Devis gratuit. Travaux réalisés par des élèves sous la responsabilité de leurs "
        "enseignants. Tout travail supplémentaire fera l'objet d'un avenant signé."
    )
    # What a French invoice must say about late payment (art. L441-10 du code de commerce);
    # a private client owes no recovery indemnity, a professional one does.
    invoice_mentions: str = (
        "Facture payable à réception, sans escompte pour paiement anticipé. En cas de retard "
        "de paiement par un client professionnel : pénalités au taux d'intérêt légal majoré "
        "de 10 points et indemnité forfaitaire pour frais de recouvrement de 40 €."
    )
    catalogue: dict[str, list[CatalogueLine]] = DEFAULT_CATALOGUE
    quote_validity_days: int = 30
    # Deadlines in working days of the garage's calendar (`garage.workdays`): the quote
    # after submission, the diagnosis after the car is dropped off.
    quote_deadline_working_days: int = 2
    diagnosis_deadline_working_days: int = 2
    decision_link_days: int = 30
    school_zone: str = "B"
    department: str | None = None  # "67": Alsace-Moselle's public holidays too
    rate_limit: str = "5/minute"  # public submissions per client IP
    decision_rate_limit: str = "20/minute"  # quote decision posts per client IP
    max_description_chars: int = 4000
    max_body_bytes: int = 32_768
    # The client's personal data is erased this long after the request closed (CNIL:
    # three years after the end of the relationship for customer data).
    personal_data_retention_days: int = 1095

    @field_validator("seller_siret")
    @classmethod
    def _siret(cls, value: str | None) -> str | None:
        """14 digits passing the Luhn check (spaces allowed); stored as typed."""
        if value is None or not value.strip():
            return None
        digits = value.replace(" ", "")
        if not (digits.isdigit() and len(digits) == 14 and _luhn_valid(digits)):
            raise ValueError("GARAGE_SELLER_SIRET: 14 digits with a valid check digit")
        return value.strip()

    @property
    def effective_vat_rate(self) -> Decimal:
        """The rate charged, to the scale quotes store it with (4 places)."""
        return (self.vat_rate if self.vat_liable else Decimal(0)).quantize(Decimal("0.0001"))

    def missing_seller_settings(self) -> list[str]:
        """The identity settings a quote or invoice needs and that are unset."""
        required = {
            "GARAGE_SELLER_NAME": self.seller_name,
            "GARAGE_SELLER_ADDRESS": self.seller_address,
            "GARAGE_SELLER_SIRET": self.seller_siret,
        }
        if self.vat_liable:
            required["GARAGE_SELLER_VAT_NUMBER"] = self.seller_vat_number
        return [name for name, value in required.items() if not (value and value.strip())]


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0
