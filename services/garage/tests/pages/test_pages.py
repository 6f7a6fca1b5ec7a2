from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


def form(**overrides: str) -> dict[str, str]:
    values = {
        "last_name": "Durand",
        "first_name": "Paul",
        "email": "paul.durand@example.org",
        "phone": "0612345678",
        "plate": "123 abc 45",
        "make": "Peugeot",
        "model": "208",
        "vin": "",
        "mileage_km": "61000",
        "service_type": "diagnostic",
        "description": "Voyant moteur allumé.",
        "urgency": "high",
        "consent": "yes",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


async def test_the_form_is_french_and_labelled(kit: Any) -> None:
    page = await kit.client.get("/garage/demande")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    for field in ("last_name", "email", "plate", "vin", "mileage_km", "description", "consent"):
        assert f'for="{field}"' in page.text and f'id="{field}"' in page.text


async def test_a_valid_form_redirects_to_the_confirmation(kit: Any) -> None:
    response = await kit.client.post("/garage/demande", data=form())
    assert response.status_code == 303
    page = await kit.client.get(response.headers["location"])
    assert "Demande enregistrée" in page.text
    number = page.text.split('id="request-number">')[1].split("<")[0]
    detail = (await kit.client.get(f"/api/garage/requests/{number}", headers=kit.teacher)).json()
    assert detail["plate"] == "123 ABC 45" and detail["vin"] is None
    assert detail["urgency"] == "high"


async def test_errors_are_shown_beside_their_fields_and_nothing_is_stored(kit: Any) -> None:
    before = await kit.scalar("SELECT count(*) FROM garage.garage_request")
    response = await kit.client.post(
        "/garage/demande", data=form(plate="XX", email="nope", consent="")
    )
    assert response.status_code == 422
    assert 'id="plate-error"' in response.text and 'id="email-error"' in response.text
    assert 'id="consent-error"' in response.text and 'aria-invalid="true"' in response.text
    assert "Adresse e-mail invalide." in response.text
    assert 'value="Durand"' in response.text  # what was typed is kept
    assert await kit.scalar("SELECT count(*) FROM garage.garage_request") == before


async def test_the_honeypot_stores_nothing(kit: Any) -> None:
    before = await kit.scalar("SELECT count(*) FROM garage.garage_request")
    response = await kit.client.post("/garage/demande", data=form(website="http://spam"))
    assert response.status_code == 200
    assert await kit.scalar("SELECT count(*) FROM garage.garage_request") == before


async def test_the_form_is_rate_limited(make_client: Any) -> None:
    async with make_client(rate_limit="1/minute") as limited:
        assert (await limited.post("/garage/demande", data=form())).status_code == 303
        refused = await limited.post("/garage/demande", data=form())
        assert refused.status_code == 429 and "retry-after" in refused.headers


async def test_tracking_shows_only_that_request(kit: Any) -> None:
    mine = await kit.submit(last_name="Mine")
    other = await kit.submit(last_name="Autre", plate="ZZ-999-ZZ")
    page = await kit.client.get(mine["tracking_url"].removeprefix("http://garage.test"))
    assert page.status_code == 200
    assert mine["number"] in page.text and "non traité" in page.text
    assert other["number"] not in page.text and "ZZ-999-ZZ" not in page.text
    unknown = await kit.client.get("/garage/suivi/unknown-token")
    assert unknown.status_code == 404 and "Lien inconnu" in unknown.text


async def test_a_nul_character_is_shown_as_an_error_and_a_bad_link_as_unknown(kit: Any) -> None:
    """PostgreSQL cannot store a NUL: the form says which field holds one, and a link
    carrying one (or anything a token never looks like) is an unknown link."""
    before = await kit.scalar("SELECT count(*) FROM garage.garage_request")
    response = await kit.client.post("/garage/demande", data=form(description="Bruit\x00"))
    assert response.status_code == 422
    assert 'id="description-error"' in response.text and "(NUL)" in response.text
    assert await kit.scalar("SELECT count(*) FROM garage.garage_request") == before
    for token in ("a%00b", "%C3%A9t%C3%A9", "x" * 32 + "%00"):
        unknown = await kit.client.get(f"/garage/suivi/{token}")
        assert unknown.status_code == 404 and "Lien inconnu" in unknown.text, token
