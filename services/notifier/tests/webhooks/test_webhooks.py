from __future__ import annotations

import json
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from guichet_common.db import SessionFactory
from guichet_common.events import Envelope
from notifier.db import plumbing
from notifier.deliveries.models import delivery, delivery_attempt
from notifier.rules.catalogue import SAMPLES
from notifier.sending.service import WEBHOOK_RETRY_SCHEDULE, default_jitter
from notifier.settings import NotifierSettings
from notifier.webhooks.signing import sign

from ..conftest import Api, FakeClock, HttpReceiver, SmtpServer, envelope, ingest

pytestmark = pytest.mark.integration

# A type with no email rule: only webhook deliveries come of it.
STATUS_CHANGED = "garage.request.status_changed.v1"
SAMPLES = {
    **SAMPLES,
    STATUS_CHANGED: {
        "request_number": "DEM-2026-0021",
        "client_email": "camille.martin@example.org",
        "client_name": "Camille Martin",
        "from_status": "triaged",
        "to_status": "quoted",
        "changed_at": "2026-11-23T10:00:00+01:00",
        "tracking_url": "http://127.0.0.1:8000/garage/suivi/exemple-jeton",
    },
}
SUBMITTED = STATUS_CHANGED


async def create_endpoint(api: Api, url: str, **extra: Any) -> dict[str, Any]:
    response = await api.client.post(
        "/api/notifier/webhooks",
        json={"url": url, "event_types": ["garage.*"], **extra},
        headers=api.token("admin"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def webhook_rows(factory: SessionFactory) -> list[Any]:
    async with factory() as session:
        rows = await session.execute(
            select(delivery).where(delivery.c.channel == "webhook").order_by(delivery.c.created_at)
        )
        return list(rows)


async def test_deliveries_are_signed_per_standard_webhooks_with_a_stable_id(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: Any,
    clock: FakeClock,
) -> None:
    endpoint = await create_endpoint(api, receiver.url, description="ERP du département")
    assert endpoint["secret"].startswith("whsec_")
    event = envelope(SUBMITTED, SAMPLES[SUBMITTED])
    await ingest(session_factory, settings, event)
    receiver.script.append((500, {}, b"oops"))
    sender = sender_factory()
    await sender.run_once()
    clock.advance(5)
    await sender.run_once()

    first, second = receiver.requests
    verifier = Webhook(endpoint["secret"])
    for request in (first, second):
        payload = verifier.verify(request.body, request.headers)
        assert payload == {
            "type": SUBMITTED,
            "timestamp": event.time.isoformat(),
            "data": SAMPLES[SUBMITTED],
        }
        assert request.headers["content-type"] == "application/json"
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == f"msg_{event.id.hex}"
    assert int(second.headers["webhook-timestamp"]) == int(first.headers["webhook-timestamp"]) + 5
    # A secret used as a string rather than its decoded bytes does not verify.
    wrong = Webhook(endpoint["secret"].removeprefix("whsec_").encode().hex())
    with pytest.raises(Exception, match="signature"):
        wrong.verify(first.body, first.headers)
    [row] = await webhook_rows(session_factory)
    assert row.state == "sent" and row.attempts == 2


async def test_retry_schedule_then_failed(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: Any,
    clock: FakeClock,
) -> None:
    await create_endpoint(api, receiver.url)
    await ingest(session_factory, settings, envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    # The last answer is huge: the log keeps its first 2000 characters.
    receiver.script.extend([(500, {}, b"down")] * 7 + [(500, {}, b"x" * 1_000_000)])
    sender = sender_factory()
    assert await sender.run_once() == 1  # immediately
    waits = []
    for _ in WEBHOOK_RETRY_SCHEDULE:
        [row] = await webhook_rows(session_factory)
        assert row.state == "retrying"
        wait = (row.next_attempt_at - clock.now).total_seconds()
        waits.append(wait)
        clock.advance(wait - 1)
        assert await sender.run_once() == 0  # not a second early
        clock.advance(1)
        assert await sender.run_once() == 1
    assert tuple(waits) == (5, 300, 1800, 7200, 18000, 36000, 36000)
    [row] = await webhook_rows(session_factory)
    assert row.state == "failed" and row.attempts == 8
    assert row.last_error.startswith("gave up: HTTP 500")
    assert len(receiver.requests) == 8
    async with session_factory() as session:
        logged = list(await session.execute(select(delivery_attempt)))
    assert [a.status_code for a in logged] == [500] * 8
    assert [a.response for a in logged] == ["down"] * 7 + ["x" * 2000]
    assert all(a.duration_ms >= 0 for a in logged)


def test_jitter_spreads_retries_within_ten_percent() -> None:
    values = {default_jitter(300) for _ in range(200)}
    assert min(values) >= 270 and max(values) <= 330 and len(values) > 100


async def test_retry_after_is_honoured_on_429_and_503(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: Any,
    clock: FakeClock,
) -> None:
    await create_endpoint(api, receiver.url)
    await ingest(session_factory, settings, envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    later = clock.now + timedelta(seconds=900)
    receiver.script.extend(
        [
            (429, {"retry-after": "120"}, b"slow down"),
            (503, {"retry-after": format_datetime(later, usegmt=True)}, b"maintenance"),
        ]
    )
    sender = sender_factory()
    await sender.run_once()
    [row] = await webhook_rows(session_factory)
    assert (row.next_attempt_at - clock.now).total_seconds() == 120
    clock.advance(120)
    await sender.run_once()
    [row] = await webhook_rows(session_factory)
    assert abs((row.next_attempt_at - later).total_seconds()) < 1
    clock.advance(900)
    await sender.run_once()
    [row] = await webhook_rows(session_factory)
    assert row.state == "sent" and row.attempts == 3


async def test_410_disables_the_endpoint_and_its_owner_is_emailed(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    smtp_server: SmtpServer,
    sender_factory: Any,
) -> None:
    endpoint = await create_endpoint(api, receiver.url, owner_email="dsi@departement.example")
    await ingest(session_factory, settings, envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    receiver.script.append((410, {}, b"gone"))
    sender = sender_factory(smtp_server.url)
    await sender.run_once()

    got = (
        await api.client.get(f"/api/notifier/webhooks/{endpoint['id']}", headers=api.token("admin"))
    ).json()
    assert got["disabled_at"] is not None
    assert got["disabled_reason"] == "the endpoint answered 410 Gone"
    assert "secret" not in got
    [row] = await webhook_rows(session_factory)
    assert row.state == "failed" and row.last_error == "HTTP 410: gone"

    # Later events are not sent to it.
    await ingest(session_factory, settings, envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    assert len(await webhook_rows(session_factory)) == 1

    # The disabling is an event of this service; its rule mails the owner.
    async with session_factory() as session:
        [outboxed] = list(await session.execute(select(plumbing.outbox.c.envelope)))
    disabled = Envelope.model_validate(outboxed.envelope)
    assert disabled.type == "notifier.webhook_endpoint.disabled.v1"
    await ingest(session_factory, settings, disabled)
    await sender.run_once()
    owner_mail = [m for m in smtp_server.handler.messages if m["To"] == "dsi@departement.example"]
    assert len(owner_mail) == 1
    assert owner_mail[0]["Subject"] == f"Webhook désactivé : {receiver.url}"

    # Fixed receiver: an admin enables it again and events flow to it.
    enabled = await api.client.post(
        f"/api/notifier/webhooks/{endpoint['id']}/enable", headers=api.token("admin")
    )
    assert enabled.status_code == 200 and enabled.json()["disabled_at"] is None
    await ingest(session_factory, settings, envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    await sender.run_once()
    assert [r.state for r in await webhook_rows(session_factory)] == ["failed", "sent"]


async def test_an_endpoint_failing_for_five_days_is_disabled(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: Any,
    clock: FakeClock,
) -> None:
    endpoint = await create_endpoint(api, receiver.url)
    receiver.script.extend([(500, {}, b"down")] * 20)
    sender = sender_factory()
    for day in range(6):
        event = envelope(SUBMITTED, SAMPLES[SUBMITTED])
        await ingest(session_factory, settings, event.model_copy(update={"time": clock.now}))
        await sender.run_once()
        got = (
            await api.client.get(
                f"/api/notifier/webhooks/{endpoint['id']}", headers=api.token("admin")
            )
        ).json()
        assert (got["disabled_at"] is not None) == (day == 5), day
        clock.advance(24 * 3600)
    assert got["disabled_reason"].startswith("failing continuously since")
    states = [r.state for r in await webhook_rows(session_factory)]
    assert states.count("suppressed") == 5  # what was still queued is not sent


async def test_secret_rotation_signs_with_both_secrets_during_the_overlap(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: Any,
    clock: FakeClock,
) -> None:
    endpoint = await create_endpoint(api, receiver.url)
    rotated = await api.client.post(
        f"/api/notifier/webhooks/{endpoint['id']}/rotate-secret", headers=api.token("admin")
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != endpoint["secret"]
    sender = sender_factory()
    await ingest(session_factory, settings, envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    await sender.run_once()
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(endpoint["secret"]).verify(request.body, request.headers)
    Webhook(new_secret).verify(request.body, request.headers)

    clock.advance(settings.webhook_secret_overlap_hours * 3600 + 1)
    event = envelope(SUBMITTED, SAMPLES[SUBMITTED])
    await ingest(session_factory, settings, event.model_copy(update={"time": clock.now}))
    await sender.run_once()
    last = receiver.requests[-1]
    signature = last.headers["webhook-signature"]
    message_id, timestamp = last.headers["webhook-id"], int(last.headers["webhook-timestamp"])
    assert signature == sign(new_secret, message_id, timestamp, last.body)


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
    listed = await api.client.get("/api/notifier/webhooks", headers=api.token("admin"))
    assert listed.json()["items"] == []


async def test_private_destinations_are_refused_at_send_time(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: Any,
) -> None:
    await create_endpoint(api, receiver.url)  # allowed then; the policy changed since
    await ingest(session_factory, settings, envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    await sender_factory(webhooks_allow_private=False).run_once()
    [row] = await webhook_rows(session_factory)
    assert row.state == "failed"
    assert row.last_error == "refused: 127.0.0.1 resolves to a loopback address (127.0.0.1)"
    assert receiver.requests == []


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


async def test_redeliver_and_replay(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: Any,
    clock: FakeClock,
) -> None:
    admin = api.token("admin")
    old = envelope(SUBMITTED, SAMPLES[SUBMITTED])
    old = old.model_copy(update={"time": clock.now - timedelta(days=2)})
    await ingest(session_factory, settings, old)  # before any endpoint existed
    endpoint = await create_endpoint(api, receiver.url)
    recent = envelope("garage.quote.accepted.v1", SAMPLES["garage.quote.accepted.v1"])
    await ingest(session_factory, settings, recent)
    sender = sender_factory()
    await sender.run_once()
    assert [r.headers["webhook-id"] for r in receiver.requests] == [f"msg_{recent.id.hex}"]
    [row] = await webhook_rows(session_factory)

    base = f"/api/notifier/webhooks/{endpoint['id']}"
    redelivered = await api.client.post(f"{base}/deliveries/{row.id}/redeliver", headers=admin)
    assert redelivered.status_code == 202, redelivered.text
    assert redelivered.json()["state"] == "pending"
    await sender.run_once()
    assert [r.headers["webhook-id"] for r in receiver.requests] == [f"msg_{recent.id.hex}"] * 2
    assert receiver.requests[0].body == receiver.requests[1].body

    log = (await api.client.get(f"{base}/deliveries", headers=admin)).json()
    [logged] = log["items"]
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
    other = await api.client.post(
        f"/api/notifier/webhooks/{endpoint['id']}/deliveries/{old.id}/redeliver", headers=admin
    )
    assert other.status_code == 404
    assert json.loads(receiver.requests[-1].body)["type"] in {SUBMITTED, "garage.quote.accepted.v1"}


async def test_update_needs_the_current_etag_and_delete_suppresses_the_queue(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
) -> None:
    admin = api.token("admin")
    endpoint = await create_endpoint(api, receiver.url)
    url = f"/api/notifier/webhooks/{endpoint['id']}"
    read = await api.client.get(url, headers=admin)
    etag = read.headers["etag"]
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
    assert (await api.client.get(url, headers=admin)).json()["url"] == receiver.url

    await ingest(
        session_factory,
        settings,
        envelope("garage.quote.issued.v1", SAMPLES["garage.quote.issued.v1"]),
    )
    await ingest(session_factory, settings, envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    [queued] = await webhook_rows(session_factory)  # only the quote event matches now
    assert queued.event_type == "garage.quote.issued.v1"
    assert (await api.client.delete(url, headers=admin)).status_code == 204
    assert (await api.client.get(url, headers=admin)).status_code == 404
    [row] = await webhook_rows(session_factory)
    assert row.state == "suppressed" and row.last_error == "endpoint deleted"
