"""Need-to-know on the delivery timeline: a reader sees the deliveries of the services
their roles cover; ops and API keys see every service's with e-mail recipients masked,
wherever the address is quoted; the others' deliveries do not exist for them."""

from __future__ import annotations

from typing import Any

import pytest

from guichet_common.auth import Principal
from guichet_common.db import SessionFactory
from guichet_common.identity import Role
from notifier.deliveries.readers import Reader
from notifier.deliveries.schemas import masked_address
from notifier.rules.service import SAMPLES
from notifier.settings import NotifierSettings

from ..conftest import Api, HttpReceiver, MakeSender, SmtpServer, envelope, ingest

CLIENT = SAMPLES["garage.request.submitted.v1"]["client_email"]
GARAGE_SUBJECT, TICKETING_SUBJECT = "DEM-2026-0021", "INC-2026-000123"


@pytest.mark.parametrize(
    ("roles", "scopes", "garage", "ticketing", "notifier"),
    [
        # what each reads: "clear", "masked" or None
        ({Role.REQUESTER}, (), None, None, None),
        ({Role.GARAGE_TEACHER}, (), "clear", None, None),
        ({Role.TECHNICIAN}, (), None, "clear", None),
        ({Role.SUPERVISOR}, (), None, "clear", None),
        ({Role.ADMIN}, (), "clear", "clear", "clear"),
        ({Role.OPS}, (), "masked", "masked", "masked"),
        ({Role.OPS, Role.GARAGE_TEACHER}, (), "clear", "masked", "masked"),
        (set(), ("notifier:read",), "masked", "masked", "masked"),
    ],
)
def test_what_each_reader_reads(
    roles: set[str], scopes: tuple[str, ...], garage: str, ticketing: str, notifier: str
) -> None:
    reader = Reader.of(Principal("x", frozenset(roles), frozenset(scopes)))
    for event_type, expected in (
        ("garage.request.submitted.v1", garage),
        ("ticketing.incident.created.v1", ticketing),
        ("notifier.webhook_endpoint.disabled.v1", notifier),
    ):
        seen = (
            None
            if not reader.reads(event_type)
            else "clear"
            if reader.reads_in_clear(event_type)
            else "masked"
        )
        assert seen == expected, event_type


def test_a_masked_address_keeps_the_domain_only() -> None:
    assert masked_address("Camille.Martin@example.org") == "***@example.org"
    assert masked_address("not an address") == "***"


@pytest.mark.integration
async def test_each_reader_sees_the_services_their_roles_cover(
    api: Api,
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    receiver: HttpReceiver,
    sender_factory: MakeSender,
) -> None:
    await api.create_endpoint(receiver.url, event_types=["garage.*", "ticketing.*"])
    submitted = "garage.request.submitted.v1"
    client_only = settings.model_copy(update={"garage_teachers": ()})  # not the teachers' copy
    await ingest(session_factory, client_only, envelope(submitted, SAMPLES[submitted]))
    incident = envelope("ticketing.incident.created.v1", {"number": TICKETING_SUBJECT})
    await ingest(
        session_factory, settings, incident.model_copy(update={"subject": TICKETING_SUBJECT})
    )
    # The server refuses the client's address, quoting it: the reply is kept as said.
    smtp_server.handler.reply_to_data = f"550 5.1.1 <{CLIENT}>: Recipient address rejected"
    await sender_factory(smtp_server.url).run_once()

    async def timeline(subject: str, headers: dict[str, str]) -> list[dict[str, Any]]:
        response = await api.client.get(
            "/api/notifier/deliveries", params={"subject": subject}, headers=headers
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    teacher, technician, ops = (
        api.token("garage_teacher"),
        api.token("technician"),
        api.token("ops"),
    )
    garage = await timeline(GARAGE_SUBJECT, teacher)
    assert sorted(d["channel"] for d in garage) == ["email", "webhook"]
    [email] = [d for d in garage if d["channel"] == "email"]
    assert email["recipient"] == CLIENT and CLIENT in email["last_error"]
    assert await timeline(TICKETING_SUBJECT, teacher) == []

    assert await timeline(GARAGE_SUBJECT, technician) == []
    [hook] = await timeline(TICKETING_SUBJECT, technician)
    assert hook["event_type"] == "ticketing.incident.created.v1"

    for masked_reader in (ops, await api.api_key("notifier:read")):
        seen = await timeline(GARAGE_SUBJECT, masked_reader)
        assert len(seen) == 2 and CLIENT not in str(seen).lower()
        [masked] = [d for d in seen if d["channel"] == "email"]
        assert masked["recipient"] == "***@example.org"
        assert masked["last_error"] == ("550 5.1.1 <***@example.org>: Recipient address rejected")
        assert masked["attempt_log"][0]["response"] == masked["last_error"]
        assert len(await timeline(TICKETING_SUBJECT, masked_reader)) == 1

    # Another service's delivery does not exist for a reader: no reading, no retrying.
    path = f"/api/notifier/deliveries/{email['id']}"
    assert (await api.client.get(path, headers=technician)).status_code == 404
    etag = await api.etag(path)
    retry = await api.client.post(f"{path}/retry", headers={**technician, "If-Match": etag})
    assert retry.status_code == 404
    assert (await api.client.get(path, headers=teacher)).json()["state"] == "failed"
    assert (await api.client.get(path, headers=ops)).json()["recipient"] == "***@example.org"
