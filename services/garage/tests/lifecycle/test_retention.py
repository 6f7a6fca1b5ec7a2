from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from garage.lifecycle import service
from guichet_common.db import make_session_factory, unit_of_work
from guichet_common.events import utcnow

pytestmark = pytest.mark.integration

FOUR_YEARS_AGO = "now() - interval '4 years'"


async def _erase(kit: Any) -> int:
    async with unit_of_work(make_session_factory(kit.engine)) as session:
        return await service.erase_closed_clients(session, kit.settings, utcnow())


async def _row(kit: Any, number: str) -> dict[str, Any]:
    async with kit.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT * FROM garage.garage_request WHERE number = :n"), {"n": number}
            )
        ).one()
        return dict(row._mapping)


async def test_long_closed_requests_lose_their_clients_personal_data(kit: Any) -> None:
    refused = await kit.submit(last_name="Refus", vin="VF1RJA00012345678")
    number = refused["number"]
    issued = await kit.issue_first_quote(number)
    assert (await kit.decide(issued["decision_url"], "refuse")).status_code == 200
    assert await kit.status(number) == "refused"
    recent = (await kit.submit(last_name="Recent"))["number"]
    assert (await kit.act(recent, "cancel")).status_code == 200
    still_open = (await kit.submit(last_name="Ouvert"))["number"]
    await kit.sql(
        f"UPDATE garage.garage_request SET updated_at = {FOUR_YEARS_AGO} WHERE number = ANY(:n)",
        n=[number, still_open],
    )

    assert await _erase(kit) == 1
    row = await _row(kit, number)
    assert row["anonymised_at"] is not None
    assert {k: row[k] for k in ("last_name", "first_name", "email", "phone", "plate")} == {
        "last_name": "",
        "first_name": "",
        "email": "",
        "phone": "",
        "plate": "",
    }
    assert row["vin"] is None and row["description"] == ""
    assert (row["service_type"], row["mileage_km"]) == ("brakes", 84500)  # stats stay
    # The old tracking link is dead: the token was replaced by one nobody holds.
    tracking = await kit.client.get(refused["tracking_url"])
    assert tracking.status_code == 404
    assert len(row["tracking_token"]) == 64
    quote = await kit.scalar(
        "SELECT row(decision_name, decision_ip, document_pdf IS NULL, document_sha256)::text "
        "FROM garage.quote WHERE id = :q",
        q=issued["id"],
    )
    assert quote == f"(,,t,{issued['document_sha256']})"  # proof of the PDF kept, PDF gone
    assert (
        await kit.scalar(
            "SELECT count(*) FROM garage.quote_link WHERE quote_id = :q", q=issued["id"]
        )
        == 0
    )
    detail = (await kit.client.get(f"/api/garage/requests/{number}", headers=kit.teacher)).json()
    assert detail["anonymised_at"] is not None and detail["email"] == ""
    # The decision's history line named the client: only "client" is left.
    assert [e["actor"] for e in detail["history"] if e["action"] == "refuse_quote"] == ["client"]
    assert "Claire" not in str(detail)
    # Recently closed and still open requests keep everything; a second run erases nothing.
    assert (await _row(kit, recent))["last_name"] == "Recent"
    assert (await _row(kit, still_open))["last_name"] == "Ouvert"
    assert await _erase(kit) == 0
