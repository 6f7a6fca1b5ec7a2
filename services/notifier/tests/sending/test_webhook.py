from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook, WebhookVerificationError

from guichet_common.db import SessionFactory
from guichet_common.events import Envelope
from notifier.db import plumbing
from notifier.deliveries.models import Channel, Delivery, DeliveryState
from notifier.sending.service import WEBHOOK_RETRY_SCHEDULE, default_jitter
from notifier.settings import NotifierSettings

from ..conftest import (
    STATUS_CHANGED,
    STATUS_CHANGED_DATA,
    Api,
    FakeClock,
    HttpReceiver,
    MakeSender,
    SmtpServer,
    envelope,
    ingest,
    stored_attempts,
    stored_deliveries,
)

pytestmark = pytest.mark.integration


async def webhook_rows(factory: SessionFactory) -> list[Delivery]:
    return await stored_deliveries(factory, Channel.WEBHOOK)


async def test_deliveries_are_signed_per_standard_webhooks_with_a_stable_id(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: MakeSender,
    clock: FakeClock,
) -> None:
    endpoint = await api.create_endpoint(receiver.url, description="ERP du département")
    assert endpoint["secret"].startswith("whsec_")
    event = envelope(STATUS_CHANGED, STATUS_CHANGED_DATA)
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
            "type": STATUS_CHANGED,
            "timestamp": event.time.isoformat(),
            "data": STATUS_CHANGED_DATA,
        }
        assert request.headers["content-type"] == "application/json"
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == f"msg_{event.id.hex}"
    assert int(second.headers["webhook-timestamp"]) == int(first.headers["webhook-timestamp"]) + 5
    # A secret used as a string rather than its decoded bytes does not verify.
    wrong = Webhook(endpoint["secret"].removeprefix("whsec_").encode().hex())
    with pytest.raises(WebhookVerificationError, match="signature"):
        wrong.verify(first.body, first.headers)
    [row] = await webhook_rows(session_factory)
    assert row.state == "sent" and row.attempts == 2


async def test_retry_schedule_then_failed(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: MakeSender,
    clock: FakeClock,
) -> None:
    await api.create_endpoint(receiver.url)
    await ingest(session_factory, settings, envelope(STATUS_CHANGED, STATUS_CHANGED_DATA))
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
    assert (row.last_error or "").startswith("gave up: HTTP 500")
    assert len(receiver.requests) == 8
    logged = await stored_attempts(session_factory)
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
    sender_factory: MakeSender,
    clock: FakeClock,
) -> None:
    await api.create_endpoint(receiver.url)
    await ingest(session_factory, settings, envelope(STATUS_CHANGED, STATUS_CHANGED_DATA))
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
    sender_factory: MakeSender,
) -> None:
    endpoint = await api.create_endpoint(receiver.url, owner_email="dsi@departement.example")
    await ingest(session_factory, settings, envelope(STATUS_CHANGED, STATUS_CHANGED_DATA))
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
    await ingest(session_factory, settings, envelope(STATUS_CHANGED, STATUS_CHANGED_DATA))
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
    path = f"/api/notifier/webhooks/{endpoint['id']}"
    enabled = await api.client.post(
        f"{path}/enable", headers={**api.token("admin"), "If-Match": await api.etag(path)}
    )
    assert enabled.status_code == 200 and enabled.json()["disabled_at"] is None
    await ingest(session_factory, settings, envelope(STATUS_CHANGED, STATUS_CHANGED_DATA))
    await sender.run_once()
    assert [r.state for r in await webhook_rows(session_factory)] == ["failed", "sent"]


async def test_an_endpoint_failing_for_five_days_is_disabled(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: MakeSender,
    clock: FakeClock,
) -> None:
    endpoint = await api.create_endpoint(receiver.url)
    receiver.script.extend([(500, {}, b"down")] * 20)
    sender = sender_factory()
    for day in range(6):
        event = envelope(STATUS_CHANGED, STATUS_CHANGED_DATA)
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
    assert states.count(DeliveryState.SUPPRESSED) == 5  # what was still queued is not sent


async def test_secret_rotation_signs_with_both_secrets_during_the_overlap(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: MakeSender,
    clock: FakeClock,
) -> None:
    endpoint = await api.create_endpoint(receiver.url)
    path = f"/api/notifier/webhooks/{endpoint['id']}"
    rotated = await api.client.post(
        f"{path}/rotate-secret", headers={**api.token("admin"), "If-Match": await api.etag(path)}
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != endpoint["secret"]
    sender = sender_factory()
    await ingest(session_factory, settings, envelope(STATUS_CHANGED, STATUS_CHANGED_DATA))
    await sender.run_once()
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(endpoint["secret"]).verify(request.body, request.headers)
    Webhook(new_secret).verify(request.body, request.headers)

    clock.advance(settings.webhook_secret_overlap_hours * 3600 + 1)
    event = envelope(STATUS_CHANGED, STATUS_CHANGED_DATA)
    await ingest(session_factory, settings, event.model_copy(update={"time": clock.now}))
    await sender.run_once()
    # Past the overlap only the new secret signs. (The request is a day old for the real
    # clock, too old for `verify`: the signature is compared with the library's own.)
    last = receiver.requests[-1]
    message_id = last.headers["webhook-id"]
    sent_at = datetime.fromtimestamp(int(last.headers["webhook-timestamp"]), UTC)
    expected = Webhook(new_secret).sign(message_id, sent_at, last.body.decode())
    assert last.headers["webhook-signature"] == expected


async def test_private_destinations_are_refused_at_send_time(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    receiver: HttpReceiver,
    sender_factory: MakeSender,
) -> None:
    await api.create_endpoint(receiver.url)  # allowed then; the policy changed since
    await ingest(session_factory, settings, envelope(STATUS_CHANGED, STATUS_CHANGED_DATA))
    await sender_factory(webhooks_allow_private=False).run_once()
    [row] = await webhook_rows(session_factory)
    assert row.state == "failed"
    assert row.last_error == (
        "refused: 127.0.0.1 resolves to 127.0.0.1: loopback (127.0.0.0/8), not globally reachable"
    )
    assert receiver.requests == []
