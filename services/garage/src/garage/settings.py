"""Garage settings: `GARAGE_*` variables override the shared `GUICHET_*` ones.

Prices, VAT status and legal mentions are configuration validated by the agent comptable
(the school board votes the hourly rate), never code: they live here.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

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
    vat_rate: Decimal = Decimal("0.20")
    seller_name: str = "Lycée des métiers — garage pédagogique"
    seller_address: str = "1 rue de l'Atelier, 00000 Ville"
    seller_siret: str = "000 000 000 00000"
    seller_vat_number: str = "non assujetti (art. 256 B du CGI)"
    payment_terms: str = (
        "Paiement à la remise du véhicule auprès de l'agent comptable ou du régisseur."
    )
    legal_mentions: str = (
        "Devis gratuit. Travaux réalisés par des élèves sous la responsabilité de leurs "
        "enseignants. Tout travail supplémentaire fera l'objet d'un avenant signé."
    )
    catalogue: dict[str, list[CatalogueLine]] = DEFAULT_CATALOGUE
    quote_validity_days: int = 30
    quote_deadline_hours: int = 48
    diagnosis_deadline_hours: int = 48
    decision_link_days: int = 30
    school_zone: str = "B"
    rate_limit: str = "5/minute"  # public submissions per client IP
    decision_rate_limit: str = "20/minute"  # quote decision posts per client IP
    max_description_chars: int = 4000
    max_body_bytes: int = 32_768
    # The client's personal data is erased this long after the request closed (CNIL:
    # three years after the end of the relationship for customer data).
    personal_data_retention_days: int = 1095
