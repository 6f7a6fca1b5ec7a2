"""Who may call what: webhooks are for administrators in person; timelines and templates
for the staff who answer clients, or for an API key of the notifier whose scope grants it
(`notifier:read` reads, `notifier:write` reads and writes)."""

from __future__ import annotations

import pytest

from .conftest import Api

pytestmark = pytest.mark.integration

UNKNOWN = "0193a8f0-0000-7000-8000-000000000000"
TIMELINE = ("GET", "/api/notifier/deliveries?subject=DEM-2026-0021")
TEMPLATES = ("GET", "/api/notifier/templates")
PREVIEW = ("POST", "/api/notifier/templates/garage_quote_issued/preview")
TEST_SEND = ("POST", "/api/notifier/templates/garage_request_submitted/test-send")
RETRY = ("POST", f"/api/notifier/deliveries/{UNKNOWN}/retry")  # allowed: 404, not 403
WEBHOOKS = ("GET", "/api/notifier/webhooks")


async def status(api: Api, call: tuple[str, str], headers: dict[str, str]) -> int:
    method, url = call
    body = {"to": "prof.meca@lycee.example"} if call == TEST_SEND else None
    return (await api.client.request(method, url, headers=headers, json=body)).status_code


async def test_staff_read_and_write_timelines_and_templates(api: Api) -> None:
    for role in ("supervisor", "garage_teacher", "technician"):
        person = api.token(role)
        assert await status(api, TIMELINE, person) == 200
        assert await status(api, TEMPLATES, person) == 200
        assert await status(api, PREVIEW, person) == 200
        assert await status(api, TEST_SEND, person) == 202
        assert await status(api, RETRY, person) == 404
        assert await status(api, WEBHOOKS, person) == 403
    requester = api.token("requester")
    for call in (TIMELINE, TEMPLATES, PREVIEW, TEST_SEND, RETRY, WEBHOOKS):
        assert await status(api, call, requester) == 403, call


async def test_api_keys_get_what_their_scope_grants_and_never_the_webhooks(api: Api) -> None:
    reader = await api.api_key("notifier:read")
    for call in (TIMELINE, TEMPLATES, PREVIEW):
        assert await status(api, call, reader) == 200, call
    for call in (TEST_SEND, RETRY, WEBHOOKS):
        assert await status(api, call, reader) == 403, call

    writer = await api.api_key("notifier:write")
    assert await status(api, TIMELINE, writer) == 200
    assert await status(api, TEST_SEND, writer) == 202
    assert await status(api, RETRY, writer) == 404
    assert await status(api, WEBHOOKS, writer) == 403

    agent = await api.api_key("notifier:agent")
    assert await status(api, TIMELINE, agent) == 403
