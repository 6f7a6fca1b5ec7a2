from __future__ import annotations

import json
from datetime import timedelta

import pytest

from guichet_common.db import SessionFactory
from notifier.deliveries.models import Channel
from notifier.rules.service import SAMPLES
from notifier.settings import NotifierSettings

from ..conftest import (
    STATUS_CHANGED,
    STATUS_CHANGED_DATA,
    Api,
    FakeClock,
    HttpReceiver,
    MakeSender,
    envelope,
    ingest,
    stored_deliveries,
)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hooks",
        "http://localhost/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.0.10/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://224.0.0.1/hooks",
        "http://0.0.0.0/hooks",
        "http://100.64.0.1/hooks",  # carrier-grade NAT
        "http://[64:ff9b::a9fe:a9fe]/latest",  # NAT64 of 169.254.169.254
        "http://[2002:7f00:1::1]/hooks",  # 6to4 of 127.0.0.1
    ],
)
async def test_private_destinations_are_refused_at_create(api: Api, url: str) -> None:
    api.settings.webhooks_allow_private = False
    response = await api.client.post(
        "/api/notifier/webhooks",
        json={"url": url, "event_types": ["garage.*"]},
        headers=api.token("admin"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "url"
    assert response.json()["errors"][0]["field"] == "url"
    listed = await api.client.get("/api/notifier/webhooks", headers=api.token("admin"))
    assert listed.json()["items"] == []


async def test_webhook_api_requires_admin_and_validates(api: Api, receiver: HttpReceiver) -> None:
    url = "/api/notifier/webhooks"
    body = {"url": receiver.url, "event_types": ["garage.*"]}
    assert (await api.client.post(url, json=body)).status_code == 401
    forbidden = await api.client.post(url, json=body, headers=api.token("supervisor"))
    assert forbidden.status_code == 403
    for bad in (
        {"url": "ftp://x.example/", "event_types": ["*"]},
        {"url": receiver.url, "event_types": []},
        {"url": receiver.url, "event_types": ["garage.*", "bad type!"]},
    ):
        response = await api.client.post(url, json=bad, headers=api.token("admin"))
        assert response.status_code == 422, (bad, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert (await api.client.get(url, headers=api.token("admin"))).json()["items"] == []


async def test_endpoints_are_listed_page_by_page(api: Api, receiver: HttpReceiver) -> None:
    created = [await api.create_endpoint(f"{receiver.url}/{n}") for n in range(3)]
    seen, cursor = [], None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await api.client.get(
            "/api/notifier/webhooks", params=params, headers=api.token("admin")
        )
        assert page.status_code == 200, page.text
        assert all("secret" not in item for item in page.json()["items"])
        seen += [item["id"] for item in page.json()["items"]]
        if (cursor := page.json()["next_cursor"]) is None:
            break
    assert seen == [endpoint["id"] for endpoint in created]


async def test_redeliver_and_replay(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: MakeSender,
    clock: FakeClock,
) -> None:
    admin = api.token("admin")
    old = envelope(STATUS_CHANGED, STATUS_CHANGED_DATA)
    old = old.model_copy(update={"time": clock.now - timedelta(days=2)})
    await ingest(session_factory, settings, old)  # before any endpoint existed
    endpoint = await api.create_endpoint(receiver.url)
    recent = envelope("garage.quote.accepted.v1", SAMPLES["garage.quote.accepted.v1"])
    await ingest(session_factory, settings, recent)
    sender = sender_factory()
    await sender.run_once()
    assert [r.headers["webhook-id"] for r in receiver.requests] == [f"msg_{recent.id.hex}"]
    [row] = await stored_deliveries(session_factory, Channel.WEBHOOK)

    base = f"/api/notifier/webhooks/{endpoint['id']}"
    etag = await api.etag(f"/api/notifier/deliveries/{row.id}")
    redelivered = await api.client.post(
        f"{base}/deliveries/{row.id}/redeliver", headers={**admin, "If-Match": etag}
    )
    assert redelivered.status_code == 202, redelivered.text
    assert redelivered.json()["state"] == "pending"
    assert redelivered.headers["ETag"] != etag
    await sender.run_once()
    assert [r.headers["webhook-id"] for r in receiver.requests] == [f"msg_{recent.id.hex}"] * 2
    assert receiver.requests[0].body == receiver.requests[1].body

    log = (await api.client.get(f"{base}/deliveries", headers=admin)).json()
    [logged] = log["items"]
    assert log["next_cursor"] is None
    assert [a["trigger"] for a in logged["attempt_log"]] == ["scheduled", "manual"]
    assert [a["status_code"] for a in logged["attempt_log"]] == [200, 200]

    since = (clock.now - timedelta(days=3)).isoformat()
    replayed = await api.client.post(f"{base}/replay", params={"since": since}, headers=admin)
    assert replayed.status_code == 202, replayed.text
    assert replayed.json() == {"requeued": 2}
    await sender.run_once()
    ids = [r.headers["webhook-id"] for r in receiver.requests[2:]]
    assert sorted(ids) == sorted([f"msg_{old.id.hex}", f"msg_{recent.id.hex}"])

    since = (clock.now - timedelta(hours=1)).isoformat()
    replayed = await api.client.post(f"{base}/replay", params={"since": since}, headers=admin)
    assert replayed.json() == {"requeued": 1}
    naive = await api.client.post(
        f"{base}/replay", params={"since": "2026-01-01T00:00:00"}, headers=admin
    )
    assert naive.status_code == 422
    other = await api.client.post(f"{base}/deliveries/{old.id}/redeliver", headers=admin)
    assert other.status_code == 404
    assert json.loads(receiver.requests[-1].body)["type"] in {
        STATUS_CHANGED,
        "garage.quote.accepted.v1",
    }


async def test_update_needs_the_current_etag_and_delete_suppresses_the_queue(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
) -> None:
    admin = api.token("admin")
    endpoint = await api.create_endpoint(receiver.url)
    url = f"/api/notifier/webhooks/{endpoint['id']}"
    etag = await api.etag(url)
    change = {"event_types": ["garage.quote.*"], "description": "devis seulement"}
    assert (await api.client.patch(url, json=change, headers=admin)).status_code == 428
    updated = await api.client.patch(url, json=change, headers=admin | {"If-Match": etag})
    assert updated.status_code == 200, updated.text
    assert updated.json()["event_types"] == ["garage.quote.*"]
    stale = await api.client.patch(
        url, json={"description": "x"}, headers=admin | {"If-Match": etag}
    )
    assert stale.status_code == 412
    fresh = updated.headers["etag"]
    api.settings.webhooks_allow_private = False
    unsafe = await api.client.patch(
        url, json={"url": "http://10.0.0.1/x"}, headers=admin | {"If-Match": fresh}
    )
    assert unsafe.status_code == 422
    null = await api.client.patch(url, json={"url": None}, headers=admin | {"If-Match": fresh})
    assert null.status_code == 422 and null.json()["field"] == "url"
    after = await api.client.get(url, headers=admin)
    assert after.json()["url"] == receiver.url and after.headers["etag"] == fresh

    await ingest(
        session_factory,
        settings,
        envelope("garage.quote.issued.v1", SAMPLES["garage.quote.issued.v1"]),
    )
    await ingest(session_factory, settings, envelope(STATUS_CHANGED, STATUS_CHANGED_DATA))
    [queued] = await stored_deliveries(session_factory, Channel.WEBHOOK)
    assert queued.event_type == "garage.quote.issued.v1"  # only the quote event matches now
    deleted = await api.client.delete(url, headers=admin | {"If-Match": fresh})
    assert deleted.status_code == 204
    assert (await api.client.get(url, headers=admin)).status_code == 404
    [row] = await stored_deliveries(session_factory, Channel.WEBHOOK)
    assert row.state == "suppressed" and row.last_error == "endpoint deleted"
    assert row.version == queued.version + 1
