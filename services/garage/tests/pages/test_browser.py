"""A real browser (Debian's chromium + chromedriver, headless) against a real server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from garage.main import create_app
from garage.settings import GarageSettings
from guichet_common.testing.browser import chromium
from guichet_common.testing.server import free_port, serving

pytestmark = pytest.mark.integration


@pytest.fixture
def live_server(settings: GarageSettings) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(settings.model_copy(update={"public_base_url": base}))
    with serving(app, port):
        yield base


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


def fill(driver: webdriver.Chrome, field: str, value: str) -> None:
    element = driver.find_element(By.ID, field)
    element.clear()
    element.send_keys(value)


def submit_request_form(
    driver: webdriver.Chrome, base: str, values: dict[str, str], service_type: str
) -> None:
    """Fill in the public form as a person would, consent given, and send it."""
    driver.get(f"{base}/garage/demande")
    for field, value in values.items():
        fill(driver, field, value)
    driver.find_element(By.CSS_SELECTOR, f"#service_type option[value={service_type}]").click()
    driver.find_element(By.ID, "consent").click()
    driver.find_element(By.ID, "submit").click()


def visible_text(driver: webdriver.Chrome, element_id: str) -> str:
    element = WebDriverWait(driver, 10).until(
        expected_conditions.visibility_of_element_located((By.ID, element_id))
    )
    return str(element.text)


async def issue_first_quote(api: httpx.AsyncClient, number: str) -> dict[str, Any]:
    """The teacher issues the request's catalogue quote (its ETag read first)."""
    quotes = (await api.get(f"/api/garage/requests/{number}/quotes")).json()
    quote_url = f"/api/garage/quotes/{quotes[0]['id']}"
    etag = (await api.get(quote_url)).headers["etag"]
    issued = await api.post(f"{quote_url}/issue", headers={"If-Match": etag})
    assert issued.status_code == 200, issued.text
    body: dict[str, Any] = issued.json()
    return body


async def test_client_submits_accepts_the_quote_and_tracks_it(
    live_server: str, browser: webdriver.Chrome, teacher: dict[str, str]
) -> None:
    def submit_form() -> str:
        submit_request_form(
            browser,
            live_server,
            {
                "last_name": "Bernard",
                "first_name": "Lucie",
                "email": "lucie.bernard@example.org",
                "phone": "06 11 22 33 44",
                "plate": "gh-456-jk",
                "make": "Citroën",
                "model": "C3",
                "mileage_km": "45210",
                "description": "Climatisation qui ne refroidit plus.",
            },
            "air_conditioning",
        )
        return visible_text(browser, "request-number")

    number = await asyncio.to_thread(submit_form)
    assert number.startswith("DEM-")

    async with httpx.AsyncClient(base_url=live_server, headers=teacher) as api:
        issued = await issue_first_quote(api, number)

    def accept_quote() -> tuple[str, str]:
        browser.get(issued["decision_url"])
        assert issued["number"] in browser.page_source
        fill(browser, "name", "Lucie Bernard")
        browser.find_element(By.ID, "agreement").click()
        browser.find_element(By.ID, "accept").click()
        done = visible_text(browser, "decision-done")
        browser.find_element(By.ID, "tracking-link").click()
        return done, visible_text(browser, "status")

    done, status = await asyncio.to_thread(accept_quote)
    assert "Devis accepté" in done
    assert status == "en attente — devis accepté"
    async with httpx.AsyncClient(base_url=live_server, headers=teacher) as api:
        detail: dict[str, Any] = (await api.get(f"/api/garage/requests/{number}")).json()
    assert detail["status"] == "accepted" and detail["plate"] == "GH-456-JK"


async def test_a_form_with_an_error_shows_it_beside_the_field_then_the_tracking_times(
    live_server: str, browser: webdriver.Chrome, teacher: dict[str, str]
) -> None:
    """A never-issued plate: the page (not JSON) says why beside the field and keeps what
    was typed; corrected, the request is tracked, its sessions in Paris time."""

    def submit_with_a_bad_plate() -> dict[str, str]:
        submit_request_form(
            browser,
            live_server,
            {
                "last_name": "Petit",
                "first_name": "Inès",
                "email": "ines.petit@example.org",
                "phone": "06 98 76 54 32",
                "plate": "AB-000-CD",
                "make": "Dacia",
                "model": "Sandero",
                "mileage_km": "120300",
                "description": "Révision des 120 000 km.",
            },
            "maintenance",
        )
        seen = {
            "error": visible_text(browser, "plate-error"),
            "described_by": browser.find_element(By.ID, "plate").get_attribute("aria-describedby")
            or "",
            "summary": browser.find_element(By.ID, "error-summary").text,
            "kept": browser.find_element(By.ID, "last_name").get_attribute("value") or "",
        }
        fill(browser, "plate", "AB-001-CD")
        if not browser.find_element(By.ID, "consent").is_selected():
            browser.find_element(By.ID, "consent").click()
        browser.find_element(By.ID, "submit").click()
        return {**seen, "number": visible_text(browser, "request-number")}

    seen = await asyncio.to_thread(submit_with_a_bad_plate)
    assert "le bloc de chiffres 000 n'est jamais attribué" in seen["error"]
    assert "plate-error" in seen["described_by"]
    assert "000" in seen["summary"]
    assert seen["kept"] == "Petit"
    number = seen["number"]
    assert number.startswith("DEM-")

    paris = ZoneInfo("Europe/Paris")
    async with httpx.AsyncClient(base_url=live_server, headers=teacher) as api:
        issued = await issue_first_quote(api, number)
        decided = await api.post(
            issued["decision_url"],
            data={"decision": "accept", "name": "Inès Petit", "agreement": "yes"},
        )
        assert decided.status_code == 200
        start = datetime(2027, 3, 30, 8, tzinfo=paris)  # summer time: UTC+2
        created = await api.post(
            "/api/garage/sessions",
            json={
                "starts_at": start.isoformat(),
                "ends_at": start.replace(hour=12).isoformat(),
                "bays": 2,
                "teacher": "prof1",
                "student_group": "CAP MV 2",
            },
        )
        detail = await api.get(f"/api/garage/requests/{number}")
        scheduled = await api.post(
            f"/api/garage/requests/{number}/transitions",
            json={"action": "schedule", "session_ids": [created.json()["id"]]},
            headers={"If-Match": detail.headers["etag"]},
        )
        assert scheduled.status_code == 200, scheduled.text
        tracking_url = scheduled.json()["tracking_url"]

    def read_sessions() -> str:
        browser.get(tracking_url)
        heading = browser.find_element(By.XPATH, '//h2[text()="Rendez-vous à l\'atelier"]')
        return str(heading.find_element(By.XPATH, "following-sibling::ul").text)

    assert await asyncio.to_thread(read_sessions) == "30 mars 2027 à 08:00 \u2013 12:00"
