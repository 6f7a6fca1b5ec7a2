from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

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


async def test_the_consent_text_says_the_retention_setting(kit: Any, make_client: Any) -> None:
    page = await kit.client.get("/garage/demande")
    assert 'conservées <span id="retention">3 ans</span> après la clôture' in page.text
    assert "un an" not in page.text
    async with make_client(personal_data_retention_days=400) as other:
        page = await other.get("/garage/demande")
    assert '<span id="retention">400 jours</span>' in page.text


async def test_a_never_issued_plate_is_refused_in_french_beside_its_field(kit: Any) -> None:
    response = await kit.client.post("/garage/demande", data=form(plate="AB-000-CD"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    error = response.text.split('id="plate-error">')[1].split("<")[0]
    assert "le bloc de chiffres 000 n&#39;est jamais attribué" in error


async def test_a_provisional_plate_is_shown_as_such(kit: Any) -> None:
    response = await kit.client.post("/garage/demande", data=form(plate="ww-456-ab"))
    assert response.status_code == 303
    page = await kit.client.get(response.headers["location"])
    assert 'id="provisional-plate">(immatriculation provisoire, série WW)' in page.text


PARIS = ZoneInfo("Europe/Paris")
EN_DASH = "\u2013"  # between a session's start and end
# 08:00-12:00 in Paris on either side of both changes of time in 2027.
SESSIONS = [
    datetime(2027, 3, 26, 8, tzinfo=PARIS),  # CET, UTC+1
    datetime(2027, 3, 30, 8, tzinfo=PARIS),  # CEST, UTC+2
    datetime(2027, 10, 15, 8, tzinfo=PARIS),  # CEST
    datetime(2027, 11, 8, 8, tzinfo=PARIS),  # CET
]


async def scheduled_request(kit: Any, starts: list[datetime]) -> str:
    """A request accepted and booked into 08:00-12:00 sessions starting at `starts`; its
    tracking path."""
    number: str = (await kit.submit())["number"]
    issued = await kit.issue_first_quote(number)
    assert (await kit.decide(issued["decision_url"], "accept")).status_code == 200
    session_ids = []
    for start in starts:
        created = await kit.client.post(
            "/api/garage/sessions",
            json={
                "starts_at": start.isoformat(),
                "ends_at": start.replace(hour=12).isoformat(),
                "bays": 2,
                "teacher": "prof1",
                "student_group": "CAP MV 2",
            },
            headers=kit.teacher,
        )
        assert created.status_code == 201, created.text
        session_ids.append(created.json()["id"])
    scheduled = await kit.act(number, "schedule", session_ids=session_ids)
    assert scheduled.status_code == 200, scheduled.text
    tracking_url: str = scheduled.json()["tracking_url"]
    return tracking_url.removeprefix("http://garage.test")


async def test_the_tracking_page_shows_sessions_in_paris_time(kit: Any) -> None:
    page = await kit.client.get(await scheduled_request(kit, SESSIONS))
    assert page.status_code == 200
    for day in ("26 mars", "30 mars", "15 octobre", "8 novembre"):
        shown = f"{day} 2027 à 08:00 {EN_DASH} 12:00"
        assert shown in page.text, shown
    assert "11:00" not in page.text and "10:00" not in page.text


async def test_a_browser_never_gets_json_from_the_public_pages(kit: Any) -> None:
    number = (await kit.submit())["number"]
    detail = (await kit.client.get(f"/api/garage/requests/{number}", headers=kit.teacher)).json()
    tracking = detail["tracking_url"].removeprefix("http://garage.test")
    too_early = await kit.client.get(f"{tracking}/note")  # the work is not done
    unknown = await kit.client.get("/garage/nulle-part")
    wrong_method = await kit.client.delete("/garage/demande")
    for response, status, title in (
        (too_early, 409, "Pas encore disponible"),
        (unknown, 404, "Page introuvable"),
        (wrong_method, 405, "Action impossible"),
    ):
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/html")
        assert f"<h1>{title}</h1>" in response.text
    api = await kit.client.get("/api/garage/requests/DEM-1999-0001", headers=kit.teacher)
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
