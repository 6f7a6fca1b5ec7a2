from __future__ import annotations

from typing import Any

import pytest

from guichet_common.db import SessionFactory
from notifier.rules.service import SAMPLES
from notifier.settings import NotifierSettings

from ..conftest import Api, HttpReceiver, MakeSender, SmtpServer, envelope, ingest

pytestmark = pytest.mark.integration


async def test_timeline_lists_every_email_and_webhook_about_a_subject(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    receiver: HttpReceiver,
    sender_factory: MakeSender,
) -> None:
    await api.create_endpoint(receiver.url, event_types=["garage.quote.*"])
    for event_type, subject in (
        ("garage.request.submitted.v1", "DEM-2026-0021"),
        ("garage.quote.accepted.v1", "DEM-2026-0021"),
        ("garage.request.submitted.v1", "DEM-2026-0022"),
    ):
        await ingest(session_factory, settings, envelope(event_type, SAMPLES[event_type], subject))
    smtp_server.handler.reply_to_data = "554 5.7.1 Rejected"
    await sender_factory(smtp_server.url).run_once()

    staff = api.token("garage_teacher")
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"subject": "DEM-2026-0021", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await api.client.get("/api/notifier/deliveries", params=params, headers=staff)
        assert page.status_code == 200, page.text
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    # acknowledgement and acceptance, each to the client and 2 teachers, 1 webhook (quote
    # events only)
    assert len(seen) == 7 and len({d["id"] for d in seen}) == 7
    assert {d["subject"] for d in seen} == {"DEM-2026-0021"}
    assert sorted(d["channel"] for d in seen) == ["email"] * 6 + ["webhook"]
    emails = [d for d in seen if d["channel"] == "email"]
    assert {d["state"] for d in emails} == {"failed"}
    assert emails[0]["attempt_log"][0]["response"] == "554 5.7.1 Rejected"
    [hook] = [d for d in seen if d["channel"] == "webhook"]
    assert hook["state"] == "sent" and hook["attempt_log"][0]["status_code"] == 200

    # A person retries one failed mail: it goes out, with the Message-ID it always had.
    smtp_server.handler.reply_to_data = None
    path = f"/api/notifier/deliveries/{emails[0]['id']}"
    etag = await api.etag(path, "garage_teacher")
    retried = await api.client.post(f"{path}/retry", headers={**staff, "If-Match": etag})
    assert retried.status_code == 202, retried.text
    assert retried.json()["state"] == "pending"
    assert retried.headers["ETag"] != etag
    await sender_factory(smtp_server.url).run_once()
    [message] = smtp_server.handler.messages
    assert message["Message-ID"] == emails[0]["message_id"]
    etag = await api.etag(path, "garage_teacher")
    again = await api.client.post(f"{path}/retry", headers={**staff, "If-Match": etag})
    assert again.status_code == 409
    one = await api.client.get(path, headers=staff)
    assert [a["outcome"] for a in one.json()["attempt_log"]] == ["permanent_failure", "success"]


async def test_timeline_needs_staff_and_a_subject(api: Api) -> None:
    url = "/api/notifier/deliveries"
    assert (await api.client.get(url, params={"subject": "DEM-2026-0001"})).status_code == 401
    client = api.token("requester")
    assert (await api.client.get(url, params={"subject": "X"}, headers=client)).status_code == 403
    missing = await api.client.get(url, headers=api.token("supervisor"))
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "subject"
    bad = await api.client.get(
        url, params={"subject": "X", "cursor": "zz"}, headers=api.token("supervisor")
    )
    assert bad.status_code == 422
    unknown = await api.client.post(
        "/api/notifier/deliveries/0193a8f0-0000-7000-8000-000000000000/retry",
        headers=api.token("supervisor"),
    )
    assert unknown.status_code == 404
