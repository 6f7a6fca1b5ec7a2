"""A service's API docs work without internet: the page's scripts and styles come from the
service itself, as a browser cut off from everything but this machine shows."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy.ext.asyncio import create_async_engine

from guichet_common.db import make_session_factory, schema_metadata
from guichet_common.events import EventRegistry
from guichet_common.outbox import Outbox
from guichet_common.runtime import Resources, ServiceDefinition, create_service_app, no_state
from guichet_common.settings import CommonSettings
from guichet_common.tables import define_plumbing_tables
from guichet_common.testing.browser import chromium
from guichet_common.testing.server import free_port, serving

pytestmark = pytest.mark.integration


@pytest.fixture
def docs_server() -> Iterator[str]:
    """A service app (the database is never reached: the docs do not need it)."""
    metadata = schema_metadata("docsvc")
    tables = define_plumbing_tables(metadata)
    definition = ServiceDefinition(
        name="docsvc",
        title="Guichet docs probe",
        description="d",
        settings=CommonSettings(database_url="postgresql://unused@127.0.0.1:9/x"),
        metadata=metadata,
        tables=tables,
        outbox=Outbox("docsvc", tables),
        published=EventRegistry(),
        lifespan=no_state,
    )
    engine = create_async_engine("postgresql+asyncpg://unused@127.0.0.1:9/x")
    app = create_service_app(definition, Resources(engine, make_session_factory(engine)))
    with serving(app, free_port()) as base:
        yield base


async def test_the_docs_page_loads_nothing_from_elsewhere(docs_server: str) -> None:
    async with httpx.AsyncClient(base_url=docs_server) as client:
        page = await client.get("/api/docsvc/docs")
        assert page.status_code == 200
        assert "http" not in page.text.replace(docs_server, ""), "no absolute URL"
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"):
            served = await client.get(f"/api/docsvc/docs/assets/{asset}")
            assert served.status_code == 200 and served.content


async def test_the_docs_render_in_a_browser_cut_off_from_the_internet(docs_server: str) -> None:
    def title_shown() -> str:
        with chromium(offline=True) as browser:
            browser.get(f"{docs_server}/api/docsvc/docs")
            return str(
                WebDriverWait(browser, 20)
                .until(
                    expected_conditions.visibility_of_element_located(
                        (By.CSS_SELECTOR, ".swagger-ui .info .title")
                    )
                )
                .text
            )

    assert "Guichet docs probe" in await asyncio.to_thread(title_shown)
