"""Each technician's agenda of planned visits across schools: JSON for the helpdesk, and a
personal iCalendar feed, checked against RFC 5545's rules and by the icalendar parser."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from ticketing.deps import Viewer
from ticketing.interventions import service
from ticketing.tickets import repository as tickets

from ..conftest import Kit, fields_named
from .conftest import Visit, create_technician, new_visit, on_site, refused

pytestmark = pytest.mark.integration

SUPERVISOR = Principal(subject="super1", roles=frozenset({"supervisor"}))


def agenda_path(login: str) -> str:
    return f"/api/ticketing/technicians/{login}/agenda"


async def visits_across_schools(kit: Kit) -> tuple[Visit, Visit, str]:
    """Two visits of one technician at two schools (the later one planned first), and a
    third school's visit the next month; the technician's login."""
    first = await new_visit(kit)
    second = await new_visit(kit)
    login = first.technician
    second = replace(second, technician=login)
    await on_site(kit, second, planned_for="2026-12-03T08:30:00+01:00")
    await on_site(kit, first, planned_for="2026-12-01T14:00:00+01:00")
    await on_site(kit, first, planned_for="2027-01-15T10:00:00+01:00")
    return first, second, login


async def test_the_agenda_lists_the_visits_in_the_range_by_time(kit: Kit) -> None:
    first, second, login = await visits_across_schools(kit)
    response = await kit.client.get(
        agenda_path(login),
        params={"from": "2026-12-01T00:00:00+01:00", "to": "2026-12-31T00:00:00+01:00"},
        headers=kit.technician,
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["reference"] for item in items] == [first.reference, second.reference]
    visit = items[0]
    assert visit["planned_for"] == "2026-12-01T13:00:00Z"
    assert visit["planned_until"] == "2026-12-01T14:00:00Z"
    assert visit["title"] == "Le poste de la salle B204 ne démarre plus"
    assert visit["site_code"] == first.site_code and visit["site_name"] == "Collège Jean Zay"
    assert visit["room_code"] == "B204"
    assert visit["location"] == "Collège Jean Zay, salle B204"
    assert visit["site_address"] == "2 rue des Écoles, 45000 Orléans"
    assert visit["requester_name"] == "Mme Claire Martin"
    assert visit["requester_phone"] == "02 38 00 00 00"
    assert visit["affected_phone"] == "02 38 11 22 33"
    assert visit["signed"] is False
    # A bound without an offset is Paris time; pages follow the cursor.
    page = await kit.client.get(
        agenda_path(login),
        params={"from": "2026-12-01T14:00:00", "to": "2027-02-01T00:00:00", "limit": 1},
        headers=kit.supervisor,
    )
    assert [item["reference"] for item in page.json()["items"]] == [first.reference]
    cursor = page.json()["next_cursor"]
    rest = await kit.client.get(
        agenda_path(login),
        params={"from": "2026-12-01T14:00:00", "to": "2027-02-01T00:00:00", "cursor": cursor},
        headers=kit.supervisor,
    )
    assert [item["planned_for"] for item in rest.json()["items"]] == [
        "2026-12-03T07:30:00Z",
        "2027-01-15T09:00:00Z",
    ]


async def test_a_cancelled_tickets_visit_leaves_the_agenda(kit: Kit) -> None:
    first, second, login = await visits_across_schools(kit)
    path = f"/api/ticketing/tickets/{second.reference}"
    cancelled = await kit.client.post(
        f"{path}/transitions",
        json={"action": "cancel", "reason": "Doublon"},
        headers={**kit.technician, "If-Match": await kit.etag(path)},
    )
    assert cancelled.status_code == 200, cancelled.text
    response = await kit.client.get(
        agenda_path(login),
        params={"from": "2026-12-01T00:00:00+01:00", "to": "2026-12-31T00:00:00+01:00"},
        headers=kit.technician,
    )
    assert [item["reference"] for item in response.json()["items"]] == [first.reference]


async def test_a_technician_limited_to_some_sites_sees_the_visits_there(kit: Kit) -> None:
    _, second, login = await visits_across_schools(kit)
    limited = kit.token("technician", sub="tech9", sites=[second.site_code])
    response = await kit.client.get(
        agenda_path(login),
        params={"from": "2026-12-01T00:00:00+01:00", "to": "2027-02-01T00:00:00+01:00"},
        headers=limited,
    )
    assert [item["reference"] for item in response.json()["items"]] == [second.reference]


async def test_the_agenda_refuses_what_it_cannot_answer(kit: Kit, visit: Visit) -> None:
    refused(await kit.client.get(agenda_path("nobody"), headers=kit.technician), 404, "not-found")
    backwards = await kit.client.get(
        agenda_path(visit.technician),
        params={"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
        headers=kit.technician,
    )
    refused(backwards, 422, "validation-error")
    assert fields_named(backwards) == ["to"]
    far = await kit.client.get(
        agenda_path(visit.technician),
        params={"from": "9999-12-31T23:59:59"},
        headers=kit.technician,
    )
    assert fields_named(far) == ["from"]
    requester = await kit.client.get(agenda_path(visit.technician), headers=kit.requester())
    refused(requester, 403, "forbidden")


async def test_the_agenda_link_is_personal(kit: Kit) -> None:
    technician = await create_technician(kit)
    headers = kit.token("technician", sub=technician["login"])
    response = await kit.client.get("/api/ticketing/agenda-link", headers=headers)
    assert response.status_code == 200, response.text
    url = urlsplit(response.json()["url"])
    assert url.path == "/api/ticketing/agenda.ics"
    [token] = parse_qs(url.query)["token"]
    assert token.startswith(technician["login"] + ".")
    other = await kit.client.get("/api/ticketing/agenda-link", headers=kit.supervisor)
    assert other.json()["url"] != response.json()["url"]
    refused(
        await kit.client.get("/api/ticketing/agenda-link", headers=kit.requester()),
        403,
        "forbidden",
    )
    key = await kit.api_key("ticketing:read")
    keyed = await kit.client.get(
        "/api/ticketing/agenda-link", headers={"Authorization": f"Bearer {key}"}
    )
    assert keyed.status_code in (401, 403)


def parsed(body: bytes) -> Calendar:
    calendar = Calendar.from_ical(body)
    assert isinstance(calendar, Calendar)
    return calendar


async def feed(kit: Kit, login: str) -> bytes:
    link = await kit.client.get(
        "/api/ticketing/agenda-link", headers=kit.token("technician", sub=login)
    )
    response = await kit.client.get(link.json()["url"])  # no login: the token is the key
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return response.content


async def test_the_feed_is_valid_icalendar(kit: Kit) -> None:
    visit = await new_visit(kit)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    description = "Câble réseau; prise murale HS, à remplacer \\ vérifier.\n" + "Détail " * 30
    created = await on_site(kit, visit, planned_for=soon.isoformat(), description=description)
    body = await feed(kit, visit.technician)
    # CRLF line endings, and no line longer than 75 octets (continuations start with a space).
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines)
    assert all(len(line) <= 75 for line in lines), [line for line in lines if len(line) > 75]
    assert any(line.startswith(b" ") for line in lines)  # the long description is folded
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-1] == b"END:VCALENDAR"
    unfolded = body.replace(b"\r\n ", b"").decode()
    assert "SUMMARY:" + visit.reference + " — Le poste de la salle B204 ne démarre plus" in unfolded
    # Where to drive, commas escaped.
    assert "LOCATION:Collège Jean Zay\\, salle B204\\, 2 rue des Écoles\\, 45000" in unfolded
    assert "Câble réseau\\; prise murale HS\\, à remplacer \\\\ vérifier.\\n" in unfolded
    calendar = parsed(body)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    [event] = calendar.events
    assert event.uid == f"{created['id']}@guichet-ticketing"
    assert event.DTSTAMP.tzinfo is not None
    assert event.start == soon
    assert event.end - event.start == timedelta(hours=1)
    assert "DTSTART:" in unfolded and unfolded.split("DTSTART:")[1][15] == "Z"  # UTC
    assert event.location == "Collège Jean Zay, salle B204, 2 rue des Écoles, 45000 Orléans"
    assert str(event.description).startswith(
        "Demandeur : Mme Claire Martin, tél. 02 38 00 00 00\nUtilisateur : M. Paul Durand"
    )
    assert description.strip() in str(event.description)


async def test_the_feed_follows_a_moved_visit_and_only_its_technician(kit: Kit) -> None:
    visit = await new_visit(kit)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    for planned_for in (soon, soon + timedelta(hours=3)):  # planned, then moved
        async with AsyncSession(kit.engine) as session, session.begin():
            ticket = await tickets.get_visible(session, visit.reference, Viewer.of(SUPERVISOR))
            await service.plan_visit(
                session, kit.settings, ticket, visit.technician, planned_for, SUPERVISOR, soon
            )
    other = await new_visit(kit)  # another technician's visit
    await on_site(kit, other, planned_for=soon.isoformat())
    [event] = parsed(await feed(kit, visit.technician)).events
    assert str(event.summary).startswith(visit.reference)
    assert event.start == soon + timedelta(hours=3)
    assert event.sequence == 1  # calendar apps take the new time


async def test_a_forged_feed_token_is_401(kit: Kit, visit: Visit) -> None:
    for token in ("", visit.technician, f"{visit.technician}.AAAAAAAAAAAAAAAAAAAAAAAA", "é.é"):
        response = await kit.client.get("/api/ticketing/agenda.ics", params={"token": token})
        refused(response, 401, "unauthorized")
