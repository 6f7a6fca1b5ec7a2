"""A real browser (Debian's chromium + chromedriver, headless) against a real server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

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


async def test_client_submits_accepts_the_quote_and_tracks_it(
    live_server: str, browser: webdriver.Chrome, teacher: dict[str, str]
) -> None:
    def submit_form() -> str:
        browser.get(f"{live_server}/garage/demande")
        for field, value in {
            "last_name": "Bernard",
            "first_name": "Lucie",
            "email": "lucie.bernard@example.org",
            "phone": "06 11 22 33 44",
            "plate": "gh-456-jk",
            "make": "Citroën",
            "model": "C3",
            "mileage_km": "45210",
            "description": "Climatisation qui ne refroidit plus.",
        }.items():
            fill(browser, field, value)
        browser.find_element(
            By.CSS_SELECTOR, "#service_type option[value=air_conditioning]"
        ).click()
        browser.find_element(By.ID, "consent").click()
        browser.find_element(By.ID, "submit").click()
        number = (
            WebDriverWait(browser, 10)
            .until(expected_conditions.visibility_of_element_located((By.ID, "request-number")))
            .text
        )
        return number

    number = await asyncio.to_thread(submit_form)
    assert number.startswith("DEM-")

    async with httpx.AsyncClient(base_url=live_server, headers=teacher) as api:
        quotes = (await api.get(f"/api/garage/requests/{number}/quotes")).json()
        quote_url = f"/api/garage/quotes/{quotes[0]['id']}"
        etag = (await api.get(quote_url)).headers["etag"]
        issued = (await api.post(f"{quote_url}/issue", headers={"If-Match": etag})).json()

    def accept_quote() -> tuple[str, str]:
        browser.get(issued["decision_url"])
        assert issued["number"] in browser.page_source
        fill(browser, "name", "Lucie Bernard")
        browser.find_element(By.ID, "agreement").click()
        browser.find_element(By.ID, "accept").click()
        done = (
            WebDriverWait(browser, 10)
            .until(expected_conditions.visibility_of_element_located((By.ID, "decision-done")))
            .text
        )
        browser.find_element(By.ID, "tracking-link").click()
        status = (
            WebDriverWait(browser, 10)
            .until(expected_conditions.visibility_of_element_located((By.ID, "status")))
            .text
        )
        return done, status

    done, status = await asyncio.to_thread(accept_quote)
    assert "Devis accepté" in done
    assert status == "en attente — devis accepté"
    async with httpx.AsyncClient(base_url=live_server, headers=teacher) as api:
        detail: dict[str, Any] = (await api.get(f"/api/garage/requests/{number}")).json()
    assert detail["status"] == "accepted" and detail["plate"] == "GH-456-JK"
