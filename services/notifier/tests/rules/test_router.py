from __future__ import annotations

import pytest

from ..conftest import Api, MakeSender, SmtpServer

pytestmark = pytest.mark.integration


async def test_preview_renders_with_sample_or_given_data(api: Api) -> None:
    url = "/api/notifier/templates/garage_quote_issued/preview"
    teacher = api.token("garage_teacher")
    sample = await api.client.post(url, headers=teacher)
    assert sample.status_code == 200, sample.text
    assert sample.json()["subject"] == "Devis DEV-2026-0017 pour votre demande DEM-2026-0021"
    assert "<strong>DEV-2026-0017</strong>" in sample.json()["html"]

    missing = await api.client.post(url, json={"data": {"quote_number": "X"}}, headers=teacher)
    assert missing.status_code == 422
    assert missing.json()["field"] == "data"
    assert (await api.client.post(url, headers=api.token("requester"))).status_code == 403
    unknown = await api.client.post("/api/notifier/templates/nope/preview", headers=teacher)
    assert unknown.status_code == 404
    listed = await api.client.get("/api/notifier/templates", headers=teacher)
    by_name = {t["name"]: t for t in listed.json()}
    assert by_name["garage_quote_issued"]["audiences"] == ["payload field client_email"]
    assert by_name["garage_deadline_missed"] == {
        "name": "garage_deadline_missed",
        "event_types": ["garage.deadline.missed.v1"],
        "audiences": ["configured list garage_teachers"],
    }


async def test_test_send_goes_through_the_sender(
    api: Api, smtp_server: SmtpServer, sender_factory: MakeSender
) -> None:
    response = await api.client.post(
        "/api/notifier/templates/garage_request_scheduled/test-send",
        json={"to": "Prof.Meca@lycee.example"},
        headers=api.token("garage_teacher"),
    )
    assert response.status_code == 202, response.text
    assert response.headers["ETag"] == '"1"'
    await sender_factory(smtp_server.url).run_once()
    [message] = smtp_server.handler.messages
    assert message["To"] == "prof.meca@lycee.example"
    assert message["Subject"] == "Rendez-vous fixé pour votre demande DEM-2026-0021"
    timeline = await api.client.get(
        "/api/notifier/deliveries",
        params={"subject": "TEST-garage_request_scheduled"},
        headers=api.token("garage_teacher"),
    )
    [item] = timeline.json()["items"]
    assert item["id"] == response.json()["delivery_id"] and item["state"] == "sent"
    assert item["attempt_log"][0]["trigger"] == "manual"
