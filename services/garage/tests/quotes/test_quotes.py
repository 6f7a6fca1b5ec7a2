from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from garage.quotes import service
from guichet_common.db import make_session_factory, unit_of_work

pytestmark = pytest.mark.integration


async def test_draft_edit_then_issue_freezes_the_quote(kit: Any) -> None:
    number = (await kit.submit(service_type="oil_change"))["number"]
    [draft] = await kit.quotes(number)
    url = f"/api/garage/quotes/{draft['id']}"
    etag = (await kit.client.get(url, headers=kit.teacher)).headers["etag"]
    body = {
        "lines": [
            {"kind": "labour", "label": "Vidange", "quantity": "0.5"},
            {
                "kind": "part",
                "label": "Huile 5W30",
                "quantity": 1,
                "unit_price": "30.00",
                "parts_origin": "used",
            },
            {"kind": "fee", "label": "Recyclage", "quantity": 1, "unit_price": "3.00"},
        ],
        "start_date": "2027-03-16",
        "duration_days": 1,
    }
    edited = await kit.client.put(url, json=body, headers={**kit.teacher, "If-Match": etag})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["total_ht"], edited.json()["total_ttc"]) == ("43.00", "51.60")

    issued = await kit.issue(draft["id"])
    assert issued["number"].startswith("DEV-") and issued["status"] == "issued"
    issued_on = datetime.fromisoformat(issued["issued_at"]).astimezone(kit.settings.zone).date()
    assert date.fromisoformat(issued["valid_until"]) - issued_on == timedelta(days=30)
    pdf = await kit.client.get(f"{url}/document.pdf", headers=kit.teacher)
    assert pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == issued["document_sha256"]

    # Immutable once issued: edits and a second issue are refused, nothing changes.
    etag = (await kit.client.get(url, headers=kit.teacher)).headers["etag"]
    again = await kit.client.put(url, json=body, headers={**kit.teacher, "If-Match": etag})
    assert again.status_code == 409
    reissue = await kit.client.post(f"{url}/issue", headers={**kit.teacher, "If-Match": etag})
    assert reissue.status_code == 409
    assert (await kit.client.get(url, headers=kit.teacher)).json() == {
        k: v for k, v in issued.items() if k != "decision_url"
    }


async def test_a_change_is_a_new_version_that_supersedes_the_old(kit: Any) -> None:
    number = (await kit.submit())["number"]
    first = await kit.issue_first_quote(number)
    revised = await kit.client.post(
        f"/api/garage/requests/{number}/quotes", json={}, headers=kit.teacher
    )
    assert revised.status_code == 201
    assert revised.json()["version"] == 2 and revised.json()["lines"] == first["lines"]
    # Only one draft at a time.
    assert (
        await kit.client.post(f"/api/garage/requests/{number}/quotes", json={}, headers=kit.teacher)
    ).status_code == 409
    second = await kit.issue(revised.json()["id"])
    assert second["number"] != first["number"]
    statuses = [q["status"] for q in await kit.quotes(number)]
    assert statuses == ["superseded", "issued"]
    # The old link can no longer decide anything.
    assert (await kit.decide(first["decision_url"], "accept")).status_code == 410
    assert await kit.status(number) == "quoted"


async def test_decision_records_evidence_and_the_link_is_single_use(kit: Any) -> None:
    number = (await kit.submit())["number"]
    issued = await kit.issue_first_quote(number)
    path = issued["decision_url"].removeprefix("http://garage.test")
    page = await kit.client.get(path)
    assert page.status_code == 200 and issued["number"] in page.text
    assert "Bon pour accord" in page.text and "TTC" in page.text
    # Accepting requires the "bon pour accord" box and a name.
    missing = await kit.client.post(path, data={"decision": "accept", "name": "Claire Martin"})
    assert missing.status_code == 422
    assert await kit.status(number) == "quoted"

    accepted = await kit.decide(issued["decision_url"], "accept", name="Claire Martin")
    assert accepted.status_code == 200 and "Devis accepté" in accepted.text
    [quote] = await kit.quotes(number)
    assert quote["status"] == "accepted" and quote["decision_name"] == "Claire Martin"
    assert (
        await kit.scalar("SELECT decision_ip FROM garage.quote WHERE id = :id", id=quote["id"])
        == "203.0.113.7"
    )
    event = next(e for e in await kit.events(number) if e["type"] == "garage.quote.accepted.v1")
    assert event["data"]["document_sha256"] == issued["document_sha256"]
    assert event["data"]["signer_name"] == "Claire Martin"

    replay = await kit.decide(issued["decision_url"], "refuse")
    assert replay.status_code == 410
    assert (await kit.client.get(path)).status_code == 410
    assert (await kit.quotes(number))[0]["status"] == "accepted"


async def test_expired_or_forged_links_decide_nothing(kit: Any) -> None:
    number = (await kit.submit())["number"]
    issued = await kit.issue_first_quote(number)
    await kit.sql(
        "UPDATE garage.quote_link SET expires_at = now() - interval '1 minute' "
        "WHERE quote_id = :id",
        id=issued["id"],
    )
    assert (await kit.decide(issued["decision_url"], "accept")).status_code == 410
    forged = issued["decision_url"][:-3] + "xyz"
    assert (await kit.decide(forged, "accept")).status_code == 404
    assert (await kit.decide(issued["decision_url"][:-3] + "%C3%A9", "accept")).status_code == 404
    assert (await kit.client.get(forged.removeprefix("http://garage.test"))).status_code == 404
    assert await kit.status(number) == "quoted"


async def test_a_signer_name_with_a_nul_is_asked_again(kit: Any) -> None:
    number = (await kit.submit())["number"]
    issued = await kit.issue_first_quote(number)
    refused = await kit.decide(issued["decision_url"], "accept", name="Claire\x00Martin")
    assert refused.status_code == 422 and "(NUL)" in refused.text
    assert 'value="ClaireMartin"' in refused.text
    assert await kit.status(number) == "quoted"


async def test_quotes_expire_by_themselves(kit: Any) -> None:
    number = (await kit.submit())["number"]
    issued = await kit.issue_first_quote(number)
    factory = make_session_factory(kit.engine)
    valid_until = date.fromisoformat(issued["valid_until"])
    async with unit_of_work(factory) as session:
        assert await service.expire_due(session, kit.settings, today=valid_until) == 0
    async with unit_of_work(factory) as session:
        assert await service.expire_due(session, kit.settings, valid_until + timedelta(1)) >= 1
    assert (await kit.quotes(number))[0]["status"] == "expired"
    assert await kit.status(number) == "expired"
    event = next(e for e in await kit.events(number) if e["type"] == "garage.quote.expired.v1")
    assert event["data"]["quote_number"] == issued["number"]
    assert (await kit.decide(issued["decision_url"], "accept")).status_code == 410
    async with unit_of_work(factory) as session:  # once only
        await service.expire_due(session, kit.settings, valid_until + timedelta(2))
    types = await kit.event_types(number)
    assert types.count("garage.quote.expired.v1") == 1


async def test_repair_note_carries_plate_mileage_and_parts_origin(kit: Any) -> None:
    """The mileage printed is the one read when the work was finished, not the one the
    client declared on the form."""
    number = (await kit.submit(mileage_km=123456))["number"]
    issued = await kit.issue_first_quote(number)
    await kit.decide(issued["decision_url"], "accept")
    note_url = f"/api/garage/requests/{number}/repair-note.pdf"
    assert (await kit.client.get(note_url, headers=kit.teacher)).status_code == 409
    await kit.act(number, "start")
    unread = await kit.act(number, "finish", work_done="Plaquettes remplacées.")
    assert unread.status_code == 422 and unread.json()["field"] == "mileage_km"
    finished = await kit.act(
        number, "finish", work_done="Plaquettes remplacées.", mileage_km=123_471
    )
    assert finished.status_code == 200, finished.text
    assert finished.json()["final_mileage_km"] == 123_471
    assert finished.json()["mileage_km"] == 123_456  # what the client declared stays
    pdf = await kit.client.get(note_url, headers=kit.teacher)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    tracking = (await kit.client.get(f"/api/garage/requests/{number}", headers=kit.teacher)).json()[
        "tracking_url"
    ]
    note = await kit.client.get(tracking.removeprefix("http://garage.test") + "/note")
    assert note.status_code == 200
    for text in ("AB-123-CD", "123\u202f471 km", "neuve", "Plaquettes remplacées.", "94,80"):
        assert text in note.text, text
    assert "123\u202f456" not in note.text


async def test_decision_posts_are_rate_limited(make_client: Any, kit: Any) -> None:
    number = (await kit.submit())["number"]
    issued = await kit.issue_first_quote(number)
    path = issued["decision_url"].removeprefix("http://garage.test")
    async with make_client(decision_rate_limit="2/minute") as limited:
        for _ in range(2):  # incomplete forms count too
            assert (await limited.post(path, data={"decision": "accept"})).status_code == 422
        refused = await limited.post(
            path, data={"decision": "accept", "name": "Claire Martin", "agreement": "yes"}
        )
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert await kit.status(number) == "quoted"
