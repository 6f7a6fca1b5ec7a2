"""Every write to an existing notifier resource (a webhook endpoint, a delivery) needs the
ETag it read: 428 without If-Match, 412 with a stale one, and either way nothing changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import update

from guichet_common.db import SessionFactory, unit_of_work
from notifier.deliveries.models import Channel, Delivery, DeliveryState
from notifier.rules.service import SAMPLES
from notifier.settings import NotifierSettings
from notifier.webhooks.models import WebhookEndpoint

from .conftest import (
    STATUS_CHANGED,
    STATUS_CHANGED_DATA,
    Api,
    HttpReceiver,
    envelope,
    ingest,
    stored_deliveries,
)

pytestmark = pytest.mark.integration

# One e-mail delivery, to the client.
SCHEDULED = "garage.request.scheduled.v1"


@dataclass
class Kit:
    api: Api
    factory: SessionFactory
    settings: NotifierSettings
    receiver: HttpReceiver

    async def endpoint(self) -> str:
        created = await self.api.create_endpoint(self.receiver.url)
        return f"/api/notifier/webhooks/{created['id']}"


@dataclass(frozen=True)
class Write:
    resource: str  # what the write changes, as a GET reads it
    method: str
    url: str
    body: dict[str, Any] | None = None
    role: str = "admin"


async def patch_endpoint(kit: Kit) -> Write:
    resource = await kit.endpoint()
    return Write(resource, "PATCH", resource, {"description": "ERP du département"})


async def delete_endpoint(kit: Kit) -> Write:
    resource = await kit.endpoint()
    return Write(resource, "DELETE", resource)


async def rotate_secret(kit: Kit) -> Write:
    resource = await kit.endpoint()
    return Write(resource, "POST", f"{resource}/rotate-secret")


async def enable_endpoint(kit: Kit) -> Write:
    resource = await kit.endpoint()
    async with unit_of_work(kit.factory) as session:  # as the sender would on a 410
        await session.execute(
            update(WebhookEndpoint).values(
                disabled_at=WebhookEndpoint.created_at,
                disabled_reason="the endpoint answered 410 Gone",
                version=WebhookEndpoint.version + 1,
            )
        )
    return Write(resource, "POST", f"{resource}/enable")


async def retry_delivery(kit: Kit) -> Write:
    await ingest(kit.factory, kit.settings, envelope(SCHEDULED, SAMPLES[SCHEDULED]))
    async with unit_of_work(kit.factory) as session:  # as a 5xx reply would leave it
        await session.execute(
            update(Delivery).values(
                state=DeliveryState.FAILED, attempts=1, version=Delivery.version + 1
            )
        )
    [delivery] = await stored_deliveries(kit.factory)
    resource = f"/api/notifier/deliveries/{delivery.id}"
    return Write(resource, "POST", f"{resource}/retry", role="garage_teacher")


async def redeliver_webhook(kit: Kit) -> Write:
    endpoint = await kit.endpoint()
    await ingest(kit.factory, kit.settings, envelope(STATUS_CHANGED, STATUS_CHANGED_DATA))
    [delivery] = await stored_deliveries(kit.factory, Channel.WEBHOOK)
    resource = f"/api/notifier/deliveries/{delivery.id}"
    return Write(resource, "POST", f"{endpoint}/deliveries/{delivery.id}/redeliver")


@pytest.mark.parametrize(
    "prepare",
    [
        patch_endpoint,
        delete_endpoint,
        rotate_secret,
        enable_endpoint,
        retry_delivery,
        redeliver_webhook,
    ],
)
async def test_a_write_without_or_with_a_stale_etag_changes_nothing(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    prepare: Callable[[Kit], Awaitable[Write]],
) -> None:
    write = await prepare(Kit(api, session_factory, settings, receiver))
    headers = api.token(write.role)
    kwargs: dict[str, Any] = {"json": write.body} if write.body is not None else {}
    before = await api.client.get(write.resource, headers=headers)
    assert before.status_code == 200, before.text

    missing = await api.client.request(write.method, write.url, headers=headers, **kwargs)
    assert missing.status_code == 428, missing.text
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"].endswith(":precondition-required")

    stale = await api.client.request(
        write.method, write.url, headers={**headers, "If-Match": '"0"'}, **kwargs
    )
    assert stale.status_code == 412, stale.text
    assert stale.json()["type"].endswith(":precondition-failed")
    assert stale.json()["etag"] == before.headers["etag"]

    after = await api.client.get(write.resource, headers=headers)
    assert after.headers["etag"] == before.headers["etag"]
    assert after.json() == before.json()

    done = await api.client.request(
        write.method, write.url, headers={**headers, "If-Match": before.headers["etag"]}, **kwargs
    )
    assert done.is_success, done.text
    if write.method == "DELETE":
        assert (await api.client.get(write.resource, headers=headers)).status_code == 404
    else:
        assert done.headers["etag"] != before.headers["etag"]
        now = await api.client.get(write.resource, headers=headers)
        assert now.headers["etag"] == done.headers["etag"]


async def test_reads_and_creates_return_the_etag(
    api: Api, session_factory: SessionFactory, settings: NotifierSettings, receiver: HttpReceiver
) -> None:
    created = await api.client.post(
        "/api/notifier/webhooks",
        json={"url": receiver.url, "event_types": ["garage.*"]},
        headers=api.token("admin"),
    )
    assert created.headers["etag"] == '"1"'
    read = await api.client.get(
        f"/api/notifier/webhooks/{created.json()['id']}", headers=api.token("admin")
    )
    assert read.headers["etag"] == '"1"'
    await ingest(session_factory, settings, envelope(SCHEDULED, SAMPLES[SCHEDULED]))
    [delivery] = await stored_deliveries(session_factory, Channel.EMAIL)
    one = await api.client.get(
        f"/api/notifier/deliveries/{delivery.id}", headers=api.token("garage_teacher")
    )
    assert one.headers["etag"] == '"1"'


def test_every_write_declares_its_preconditions(api: Api) -> None:
    paths = api.app.openapi()["paths"]
    writes = [
        ("/api/notifier/webhooks/{endpoint_id}", "patch"),
        ("/api/notifier/webhooks/{endpoint_id}", "delete"),
        ("/api/notifier/webhooks/{endpoint_id}/rotate-secret", "post"),
        ("/api/notifier/webhooks/{endpoint_id}/enable", "post"),
        ("/api/notifier/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver", "post"),
        ("/api/notifier/deliveries/{delivery_id}/retry", "post"),
    ]
    for path, method in writes:
        operation = paths[path][method]
        assert {"412", "428"} <= set(operation["responses"]), (path, method)
        assert any(p["name"] == "if-match" for p in operation["parameters"]), (path, method)
