"""What the lifecycle calls, called directly: `plan_visit` (the `plan` action) and
`check_close` (before `close`). Each runs in a transaction of its own, committed, as the
lifecycle's request would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from guichet_common.http import Forbidden, InvalidInput, Unauthorized
from ticketing.deps import Viewer
from ticketing.interventions import service
from ticketing.interventions.service import UnsignedIntervention
from ticketing.tickets import repository as tickets

from ..conftest import Json, Kit
from .conftest import Visit, create_technician, data_url, on_site, png, remote_body, sign

pytestmark = pytest.mark.integration

SUPERVISOR = Principal(
    subject="super1", roles=frozenset({"supervisor"}), name="Sophie Superviseure"
)
ADMIN = Principal(subject="admin1", roles=frozenset({"admin"}), name="Alice Admin")
TECHNICIAN = Principal(subject="tech1", roles=frozenset({"technician"}), name="Théo Technicien")
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


async def check_close(
    kit: Kit, visit: Visit, principal: Principal, reason: str | None
) -> str | None:
    async with AsyncSession(kit.engine) as session, session.begin():
        ticket = await tickets.get_visible(session, visit.reference, Viewer.of(SUPERVISOR))
        return await service.check_close(session, ticket, principal, reason)


async def plan_visit(kit: Kit, visit: Visit, login: str, planned_for: datetime) -> Json:
    async with AsyncSession(kit.engine) as session, session.begin():
        ticket = await tickets.get_visible(session, visit.reference, Viewer.of(SUPERVISOR))
        intervention = await service.plan_visit(
            session, kit.settings, ticket, login, planned_for, SUPERVISOR, NOW
        )
        return {"id": str(intervention.id), "version": intervention.version}


async def planned_events(kit: Kit, visit: Visit) -> list[Json]:
    return [
        event["data"]
        for event in await kit.events(visit.reference)
        if event["type"] == "ticketing.intervention.planned.v1"
    ]


# --- check_close ---------------------------------------------------------------------------------


async def test_a_ticket_without_unsigned_sheet_may_close(kit: Kit, visit: Visit) -> None:
    assert await check_close(kit, visit, TECHNICIAN, None) is None
    # A remote session has no sheet to wait for.
    response = await kit.client.post(
        visit.interventions, json=remote_body(visit), headers=kit.technician
    )
    assert response.status_code == 201, response.text
    assert await check_close(kit, visit, TECHNICIAN, None) is None


async def test_an_unsigned_sheet_keeps_the_ticket_open(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    for reason in (None, "", "   "):
        with pytest.raises(UnsignedIntervention) as raised:
            await check_close(kit, visit, SUPERVISOR, reason)
    problem = raised.value
    assert problem.status == 409 and problem.slug == "unsigned-intervention"
    assert problem.extra["interventions"] == [
        {
            "id": created["id"],
            "technician": visit.technician,
            "technician_name": "Théo Technicien",
            "planned_for": "2026-12-01T13:00:00Z",
        }
    ]


async def test_a_supervisor_may_close_it_giving_a_reason_the_history_keeps(
    kit: Kit, visit: Visit
) -> None:
    await on_site(kit, visit)
    kept = await check_close(kit, visit, SUPERVISOR, "  L'utilisateur a quitté l'établissement. ")
    assert kept == (
        "Clos sans fiche d'intervention signée (1) : L'utilisateur a quitté l'établissement."
    )
    assert await check_close(kit, visit, ADMIN, "Fiche papier signée, scannée") is not None
    long = await check_close(kit, visit, SUPERVISOR, "x" * 1000)
    assert long is not None and len(long) == 1000 and long.endswith("…")


async def test_a_technicians_override_is_forbidden(kit: Kit, visit: Visit) -> None:
    await on_site(kit, visit)
    with pytest.raises(Forbidden):
        await check_close(kit, visit, TECHNICIAN, "Je signe pour lui")
    api_key = Principal(subject="key", scopes=frozenset({"ticketing:write"}))
    with pytest.raises(Forbidden):
        await check_close(kit, visit, api_key, "Par script")


async def test_once_signed_the_ticket_may_close(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    assert (await sign(kit, visit, created["id"], data_url(png()))).status_code == 200
    assert await check_close(kit, visit, TECHNICIAN, None) is None
    # A second visit, unsigned, blocks again.
    await on_site(kit, visit)
    with pytest.raises(UnsignedIntervention):
        await check_close(kit, visit, TECHNICIAN, None)


# --- plan_visit ----------------------------------------------------------------------------------


async def test_plan_visit_creates_then_moves_one_intervention(kit: Kit, visit: Visit) -> None:
    first = await plan_visit(kit, visit, visit.technician, TUESDAY)
    moved = await plan_visit(kit, visit, visit.technician, TUESDAY + timedelta(days=1))
    assert moved["id"] == first["id"] and moved["version"] == first["version"] + 1
    listed = (await kit.client.get(visit.interventions, headers=kit.technician)).json()["items"]
    assert [item["id"] for item in listed] == [first["id"]]
    [intervention] = listed
    assert intervention["mode"] == "on_site"
    assert intervention["planned_for"] == "2026-12-02T14:00:00Z"
    assert intervention["description"] == "Écran noir au démarrage, le voyant clignote orange."
    assert intervention["sheet"]["asset_tag"] == visit.asset_tag
    planned, rescheduled = await planned_events(kit, visit)
    assert planned["moved_from"] is None and planned["planned_for"] == "2026-12-01T14:00:00Z"
    assert rescheduled["moved_from"] == "2026-12-01T14:00:00Z"
    assert rescheduled["planned_for"] == "2026-12-02T14:00:00Z"
    assert rescheduled["planned_until"] == "2026-12-02T15:00:00Z"  # a visit's default hour
    assert rescheduled["previous_technician"] is None  # the same technician


async def test_the_planned_event_carries_what_the_sheet_email_needs(kit: Kit, visit: Visit) -> None:
    await plan_visit(kit, visit, visit.technician, TUESDAY)
    [event] = await planned_events(kit, visit)
    expected = {
        "reference": visit.reference,
        "title": "Le poste de la salle B204 ne démarre plus",
        "mode": "on_site",
        "technician": visit.technician,
        "technician_name": "Théo Technicien",
        "technician_email": visit.technician_email,
        "site_code": visit.site_code,
        "site_name": "Collège Jean Zay",
        "room_code": "B204",
        "asset_tag": visit.asset_tag,
        "model": "Dell OptiPlex 7090",
        "hostname": "CLGJZ-B204-01",
        "hardware_need": "Une alimentation 260 W",
        "category_label": "Matériel",
        "requester_name": "Mme Claire Martin",
        "requester_phone": "02 38 00 00 00",
        "affected_name": "M. Paul Durand",
        "affected_phone": "02 38 11 22 33",
        "description": "Écran noir au démarrage, le voyant clignote orange.",
        "actor": "super1",
        "actor_name": "Sophie Superviseure",
    }
    assert {name: event[name] for name in expected} == expected
    assert event["notified_at"] and event["sheet_url_expires_at"] == "2026-12-14T09:00:00Z"
    # The notifier fetches the sheet's PDF through the link, without a login.
    url = urlsplit(event["sheet_url"])
    assert f"{url.scheme}://{url.netloc}" == kit.settings.public_base_url
    assert url.path == f"/api/ticketing/intervention-sheets/{visit.reference}.pdf"
    fetched = await kit.client.get(event["sheet_url"])
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["content-type"] == "application/pdf"
    assert fetched.content.startswith(b"%PDF-")


async def test_the_sheet_link_is_checked(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    [event] = await planned_events(kit, visit)
    link = event["sheet_url"]
    token = link.split("token=")[1]
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert (await kit.client.get(forged)).status_code == 401
    other = link.replace(visit.reference, "INC-1999-000001")
    assert (await kit.client.get(other)).status_code == 404
    # Past its expiry (the event's `sheet_url_expires_at`), the link is dead.
    async with AsyncSession(kit.engine) as session:
        late = datetime.fromisoformat(event["sheet_url_expires_at"]) + timedelta(seconds=1)
        with pytest.raises(Unauthorized, match="expired"):
            await service.sheet_by_link(session, kit.settings, visit.reference, token, now=late)
        document = await service.sheet_by_link(
            session, kit.settings, visit.reference, token, now=late - timedelta(seconds=2)
        )
    assert document.media_type == "application/pdf"
    assert created["id"] == event["intervention_id"]


async def test_planning_the_same_visit_again_announces_nothing(kit: Kit, visit: Visit) -> None:
    first = await plan_visit(kit, visit, visit.technician, TUESDAY)
    again = await plan_visit(kit, visit, visit.technician, TUESDAY.astimezone(NOW.tzinfo))
    assert again == first
    assert len(await planned_events(kit, visit)) == 1


async def test_plan_visit_moves_the_unsigned_visit_to_another_technician(
    kit: Kit, visit: Visit
) -> None:
    first = await plan_visit(kit, visit, visit.technician, TUESDAY)
    other = await create_technician(kit, name="Inès Intervenante")
    moved = await plan_visit(kit, visit, other["login"], TUESDAY)
    assert moved["id"] == first["id"]
    _, rescheduled = await planned_events(kit, visit)
    assert rescheduled["technician_email"] == other["email"]
    assert rescheduled["technician_name"] == "Inès Intervenante"
    assert rescheduled["previous_technician"] == visit.technician
    assert rescheduled["moved_from"] == rescheduled["planned_for"]


async def test_a_signed_visit_is_never_moved(kit: Kit, visit: Visit) -> None:
    first = await plan_visit(kit, visit, visit.technician, TUESDAY)
    assert (await sign(kit, visit, first["id"], data_url(png()))).status_code == 200
    second = await plan_visit(kit, visit, visit.technician, TUESDAY + timedelta(days=7))
    assert second["id"] != first["id"]
    signed = await kit.client.get(f"{visit.interventions}/{first['id']}", headers=kit.technician)
    assert signed.json()["planned_for"] == "2026-12-01T14:00:00Z"


async def test_plan_visit_needs_an_active_technician(kit: Kit, visit: Visit) -> None:
    with pytest.raises(InvalidInput) as raised:
        await plan_visit(kit, visit, "nobody", TUESDAY)
    assert raised.value.extra["field"] == "technician"
    assert await planned_events(kit, visit) == []
