from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from guichet_common.db import SessionFactory, unit_of_work
from guichet_common.events import Envelope
from guichet_common.inbox import InboxHandler
from guichet_common.testing.proxy import TcpProxy
from notifier.db import plumbing
from notifier.deliveries import repository
from notifier.rules.service import SAMPLES
from notifier.settings import NotifierSettings
from notifier.subscriptions import build_subscriptions

from ..conftest import (
    TEACHERS,
    Api,
    FakeClock,
    HttpReceiver,
    MakeSender,
    SmtpServer,
    envelope,
    ingest,
)
from ..conftest import stored_attempts as attempts
from ..conftest import stored_deliveries as deliveries

pytestmark = pytest.mark.integration

SUBMITTED = "garage.request.submitted.v1"
READY = "garage.request.ready_for_pickup.v1"


def client_only(settings: NotifierSettings) -> NotifierSettings:
    """Without the teachers' list: a new request's acknowledgement is then one e-mail, to
    the client (the tests of the SMTP mechanics send one)."""
    return settings.model_copy(update={"garage_teachers": ()})


async def test_mime_structure_and_headers(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
) -> None:
    await ingest(session_factory, client_only(settings), envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    sender = sender_factory(smtp_server.url)
    assert await sender.run_once() == 1

    [message] = smtp_server.handler.messages
    assert message["To"] == "camille.martin@example.org"
    assert message["From"] == "Garage pédagogique <garage@lycee.example>"
    assert message["Subject"] == "Demande DEM-2026-0021 bien reçue"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["In-Reply-To"] == "<DEM-2026-0021@lycee.example>"
    assert message["References"] == "<DEM-2026-0021@lycee.example>"
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = message.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    assert "Renault Clio (AB-123-CD)" in text_part.get_content()
    assert "<strong>DEM-2026-0021</strong>" in html_part.get_content()
    [row] = await deliveries(session_factory)
    assert row.state == "sent" and row.attempts == 1 and row.sent_at is not None
    assert message["Message-ID"] == row.message_id
    [attempt] = await attempts(session_factory)
    assert attempt.outcome == "success"
    assert (attempt.response or "").startswith("2.0.0 Ok")


async def test_quote_mail_attaches_the_pdf_fetched_at_send_time(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
    receiver: HttpReceiver,
    clock: FakeClock,
) -> None:
    data = {**SAMPLES["garage.quote.issued.v1"], "pdf_url": receiver.url_for("/devis/x.pdf")}
    await ingest(session_factory, settings, envelope("garage.quote.issued.v1", data))
    receiver.script.append((404, {}, b"not yet"))
    sender = sender_factory(smtp_server.url)
    await sender.run_once()
    [row] = await deliveries(session_factory)
    assert row.state == "retrying" and "HTTP 404" in (row.last_error or "")
    assert smtp_server.handler.messages == []

    receiver.script.append((200, {"content-type": "application/pdf"}, b"%PDF-1.7 quote"))
    clock.advance(31)
    await sender.run_once()
    [message] = smtp_server.handler.messages
    assert message.get_content_type() == "multipart/mixed"
    alternative, pdf = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "DEV-2026-0017.pdf"
    assert pdf.get_content() == b"%PDF-1.7 quote"
    assert "1\u202f234,56\xa0€" in alternative.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_pickup_mail_attaches_the_invoice_and_says_its_number_and_total(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
    receiver: HttpReceiver,
) -> None:
    data = {
        **SAMPLES[READY],
        "invoice_pdf_url": receiver.url_for("/garage/suivi/jeton/facture.pdf"),
    }
    await ingest(session_factory, settings, envelope(READY, data))
    receiver.script.append((200, {"content-type": "application/pdf"}, b"%PDF-1.7 invoice"))
    assert await sender_factory(smtp_server.url).run_once() == 1

    assert [(r.method, r.path) for r in receiver.requests] == [
        ("GET", "/garage/suivi/jeton/facture.pdf")
    ]
    [message] = smtp_server.handler.messages
    assert message["To"] == "camille.martin@example.org"
    assert message.get_content_type() == "multipart/mixed"
    alternative, pdf = message.iter_parts()
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "FAC-2026-0042.pdf"  # named after the invoice
    assert pdf.get_content() == b"%PDF-1.7 invoice"
    text = alternative.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Votre facture FAC-2026-0042, d'un montant de 130,80\xa0€ TTC" in text
    assert "est jointe en PDF" in text and data["invoice_pdf_url"] in text


async def test_teachers_hear_of_new_requests_and_of_quotes_left_unanswered(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
) -> None:
    expired = "garage.quote.expired.v1"
    await ingest(session_factory, settings, envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    await ingest(session_factory, settings, envelope(expired, SAMPLES[expired]))
    assert await sender_factory(smtp_server.url).run_once() == 5

    by_subject: dict[str, list[str]] = {}
    for message in smtp_server.handler.messages:
        by_subject.setdefault(str(message["Subject"]), []).append(str(message["To"]))
    assert {subject: sorted(to) for subject, to in by_subject.items()} == {
        "Demande DEM-2026-0021 bien reçue": ["camille.martin@example.org"],
        "[DEM-2026-0021] Nouvelle demande : Freins (Moyenne)": sorted(TEACHERS),
        "[DEM-2026-0021] Devis DEV-2026-0017 expiré sans réponse": sorted(TEACHERS),
    }


async def test_an_attachment_that_never_comes_lets_the_mail_go_with_its_link(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
    receiver: HttpReceiver,
    clock: FakeClock,
) -> None:
    """The quote PDF cannot be fetched (a wrong base URL, the garage down): after
    `attachment_attempts` the e-mail goes with the decision link alone, says so to the
    client, and its delivery says why."""
    data = {**SAMPLES["garage.quote.issued.v1"], "pdf_url": receiver.url_for("/devis/x.pdf")}
    await ingest(session_factory, settings, envelope("garage.quote.issued.v1", data))
    receiver.script.extend([(503, {}, b"down")] * 5)
    sender = sender_factory(smtp_server.url, attachment_attempts=3)
    for delay in (0, 31, 121):  # the e-mail schedule: 30 s, then 2 min
        clock.advance(delay)
        await sender.run_once()
    [row] = await deliveries(session_factory)
    assert row.state == "sent" and row.attempts == 3
    assert "sent without its attachment" in (row.last_error or "")
    assert "HTTP 503" in (row.last_error or "")
    [message] = smtp_server.handler.messages
    assert message.get_content_type() == "multipart/alternative", "no PDF part"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert data["decision_url"] in text
    assert "le PDF n'a pas pu être joint" in text and "joint en PDF" not in text
    success = (await attempts(session_factory))[-1]
    assert success.outcome == "success" and "without its attachment" in (success.response or "")


async def test_mails_about_one_subject_share_one_thread(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
) -> None:
    await ingest(session_factory, settings, envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    await ingest(
        session_factory,
        settings,
        envelope("garage.quote.accepted.v1", SAMPLES["garage.quote.accepted.v1"]),
    )
    await ingest(
        session_factory,
        settings,
        envelope(
            "garage.request.scheduled.v1",
            SAMPLES["garage.request.scheduled.v1"],
            subject="DEM-2026-0099",
        ),
    )
    await sender_factory(smtp_server.url).run_once()

    messages = smtp_server.handler.messages
    # acknowledgement and acceptance (each to the client and 2 teachers) + another request
    assert sorted(m["To"] for m in messages) == sorted(
        ["camille.martin@example.org"] * 3 + list(TEACHERS) * 2
    )
    about_21 = [m for m in messages if "0099" not in str(m["References"])]
    assert len(about_21) == 6
    assert {m["References"] for m in about_21} == {"<DEM-2026-0021@lycee.example>"}
    assert len({m["Message-ID"] for m in messages}) == 7
    other = [m for m in messages if m not in about_21]
    assert other[0]["References"] == "<DEM-2026-0099@lycee.example>"


async def test_the_same_event_delivered_twice_sends_one_email(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
) -> None:
    [subscription] = build_subscriptions(client_only(settings))
    handler = InboxHandler("notifier.events", subscription, session_factory, plumbing)
    event = envelope(SUBMITTED, SAMPLES[SUBMITTED])
    await handler(event)
    await handler(event)
    # Even past the inbox (e.g. a replayed ingestion), the unique key holds.
    await ingest(session_factory, client_only(settings), event)
    sender = sender_factory(smtp_server.url)
    await sender.run_once()
    await sender.run_once()
    assert len(smtp_server.handler.messages) == 1
    assert len(await deliveries(session_factory)) == 1


async def test_smtp_down_then_back_sends_each_mail_once_with_the_same_message_id(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
    clock: FakeClock,
) -> None:
    proxy = TcpProxy("127.0.0.1", smtp_server.port)
    await proxy.start()
    try:
        sender = sender_factory(f"smtp://127.0.0.1:{proxy.port}")
        await ingest(
            session_factory, client_only(settings), envelope(SUBMITTED, SAMPLES[SUBMITTED])
        )
        await sender.run_once()  # the connection is open and reused from here
        assert len(smtp_server.handler.messages) == 1

        proxy.cut()
        await ingest(
            session_factory,
            settings,
            envelope("garage.quote.accepted.v1", SAMPLES["garage.quote.accepted.v1"]),
        )
        await sender.run_once()
        rows = [r for r in await deliveries(session_factory) if r.state != "sent"]
        assert {r.state for r in rows} == {"retrying"} and len(rows) == 3
        first_ids = {r.id: r.message_id for r in rows}
        assert {r.next_attempt_at for r in rows} == {clock.now + timedelta(seconds=30)}

        clock.advance(10)
        assert await sender.run_once() == 0  # backoff: not due yet
        proxy.restore()
        clock.advance(30)
        assert await sender.run_once() == 3
        assert await sender.run_once() == 0
    finally:
        await proxy.close()

    messages = smtp_server.handler.messages
    assert len(messages) == 4
    ids = [m["Message-ID"] for m in messages]
    assert len(set(ids)) == 4
    after = {r.id: r for r in await deliveries(session_factory)}
    for delivery_id, message_id in first_ids.items():
        assert after[delivery_id].state == "sent"
        assert after[delivery_id].attempts == 2
        assert message_id in ids
    outcomes = [str(a.outcome) for a in await attempts(session_factory)]
    assert outcomes.count("temporary_failure") == 3 and outcomes.count("success") == 4


async def test_a_4xx_reply_is_retried_with_backoff_and_a_5xx_fails_with_the_reply(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
    clock: FakeClock,
) -> None:
    sender = sender_factory(smtp_server.url)
    await ingest(session_factory, client_only(settings), envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    smtp_server.handler.reply_to_data = "451 4.3.0 Mailbox busy, try later"
    await sender.run_once()
    [row] = await deliveries(session_factory)
    assert row.state == "retrying"
    assert row.last_error == "451 4.3.0 Mailbox busy, try later"
    assert (row.next_attempt_at - clock.now).total_seconds() == 30

    smtp_server.handler.reply_to_data = "550 5.1.1 No such user here"
    clock.advance(30)
    await sender.run_once()
    [row] = await deliveries(session_factory)
    assert row.state == "failed"
    assert row.last_error == "550 5.1.1 No such user here"
    assert row.attempts == 2
    last = (await attempts(session_factory))[-1]
    assert last.outcome == "permanent_failure" and last.status_code == 550
    clock.advance(3600)
    assert await sender.run_once() == 0


async def test_a_delivery_stuck_in_sending_after_a_crash_goes_back_after_its_lease(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
    clock: FakeClock,
) -> None:
    await ingest(session_factory, client_only(settings), envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    lease = timedelta(seconds=settings.sender_lease_seconds)
    async with unit_of_work(session_factory) as session:  # a sender claims, then dies
        [claimed] = await repository.claim_due(session, clock.now, clock.now + lease, 10)
    sender = sender_factory(smtp_server.url)
    assert await sender.run_once() == 0  # still leased
    clock.advance(settings.sender_lease_seconds)
    assert await sender.run_once() == 1
    [message] = smtp_server.handler.messages
    assert message["Message-ID"] == claimed.message_id


async def test_without_smtp_url_mail_is_written_as_eml_files(
    session_factory: SessionFactory, settings: NotifierSettings, sender_factory: MakeSender
) -> None:
    await ingest(session_factory, client_only(settings), envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    await sender_factory(None).run_once()
    [path] = list((settings.data_dir / "mail").glob("*.eml"))
    content = path.read_bytes()
    assert b"Auto-Submitted: auto-generated" in content
    [row] = await deliveries(session_factory)
    assert row.state == "sent" and row.message_id.encode() in content


async def test_an_event_without_rules_or_audience_makes_no_delivery(
    session_factory: SessionFactory, settings: NotifierSettings
) -> None:
    await ingest(
        session_factory,
        settings,
        envelope("ticketing.ticket.opened.v1", {"x": 1}, subject="INC-2026-000001"),
    )
    no_teachers = settings.model_copy(update={"garage_teachers": ()})
    await ingest(
        session_factory,
        no_teachers,
        envelope("garage.deadline.missed.v1", SAMPLES["garage.deadline.missed.v1"]),
    )
    assert await deliveries(session_factory) == []


async def test_a_hard_bounced_address_is_suppressed_until_a_person_retries(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
) -> None:
    sender = sender_factory(smtp_server.url)
    await ingest(session_factory, client_only(settings), envelope(SUBMITTED, SAMPLES[SUBMITTED]))
    smtp_server.handler.reply_to_data = "550 5.1.1 User unknown"
    await sender.run_once()
    smtp_server.handler.reply_to_data = None
    scheduled = "garage.request.scheduled.v1"
    await ingest(session_factory, settings, envelope(scheduled, SAMPLES[scheduled]))
    await sender.run_once()
    first, second = await deliveries(session_factory)
    assert first.state == "failed" and second.state == "suppressed"
    async with session_factory() as session:
        [bounce] = list(await session.execute(select(plumbing.outbox.c.envelope)))
    published = Envelope.model_validate(bounce.envelope)
    assert published.type == "notifier.email.bounced.v1"
    assert published.subject == "DEM-2026-0021"
    assert published.data["recipient"] == "camille.martin@example.org"
    assert published.data["reply"] == "550 5.1.1 User unknown"
    assert second.last_error == "the address bounced before" and second.attempts == 0
    assert smtp_server.handler.messages == []

    # Staff phoned the client, the mailbox works again: a manual retry sends it.
    path = f"/api/notifier/deliveries/{second.id}"
    retried = await api.client.post(
        f"{path}/retry",
        headers={**api.token("garage_teacher"), "If-Match": await api.etag(path, "garage_teacher")},
    )
    assert retried.status_code == 202
    await sender.run_once()
    [message] = smtp_server.handler.messages
    assert message["Message-ID"] == second.message_id


async def test_a_slow_server_never_outlasts_the_lease(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
) -> None:
    # Past half the lease the rest of the batch goes back unsent, so a sender that claims
    # it after the lease cannot send it a second time.
    accepted = "garage.quote.accepted.v1"
    await ingest(session_factory, settings, envelope(accepted, SAMPLES[accepted]))
    await ingest(
        session_factory,
        settings,
        envelope("garage.deadline.missed.v1", SAMPLES["garage.deadline.missed.v1"]),
    )
    smtp_server.handler.delay = 0.3
    sender = sender_factory(smtp_server.url, sender_lease_seconds=1.0, sender_lanes=1)
    assert await sender.run_once() == 5
    sent_first = len(smtp_server.handler.messages)
    assert 1 <= sent_first <= 3
    rows = await deliveries(session_factory)
    unsent = [r for r in rows if r.state == "pending"]
    assert len(unsent) == 5 - sent_first and all(r.attempts == 0 for r in unsent)
    smtp_server.handler.delay = 0
    assert await sender.drain() == 5 - sent_first
    ids = [m["Message-ID"] for m in smtp_server.handler.messages]
    assert len(ids) == 5 and len(set(ids)) == 5
    assert {r.state for r in await deliveries(session_factory)} == {"sent"}
