"""`POST /api/ticketing/tickets`: the pinned contract, the priority from the matrix, every
refusal naming its field (and writing nothing), the reference, the asset tag, the
Idempotency-Key and the created event."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from guichet_common.auth import Principal
from ticketing.lifecycle import service as lifecycle
from ticketing.park import repository as park
from ticketing.priorities.models import DEFAULT_MATRIX
from ticketing.settings import TicketingSettings
from ticketing.tickets.schemas import TicketIn

from ..conftest import TICKETS, Kit, new_code
from .conftest import (
    inactive_category,
    intake,
    number_of,
    post,
    read,
    refused_on,
    this_year,
    tickets_of,
)

pytestmark = pytest.mark.integration

TECHNICIAN = Principal(subject="tech1", roles=frozenset({"technician"}), name="Théo Technicien")


# --- the pinned contract ---------------------------------------------------------------------


async def test_a_ticket_is_created_with_its_reference_priority_status_and_etag(kit: Kit) -> None:
    site = await kit.site(name="Collège Jean Zay")
    body = intake(site, category="hardware", urgency=4, impact=3)
    response = await post(kit, body)

    assert response.status_code == 201, response.text
    created = response.json()
    assert number_of(created["reference"])[0] == this_year()
    assert created["priority"] == 4 and created["priority_label"] == "Haute"
    assert created["priority_manual"] is False
    assert (created["status"], created["status_label"]) == ("new", "Nouveau")
    assert (created["type"], created["type_label"]) == ("incident", "Incident")
    assert (created["category"], created["category_label"]) == ("hardware", "Matériel")
    assert (created["site_code"], created["site_name"]) == (site, "Collège Jean Zay")
    assert created["requester"] == body["requester"]
    assert created["affected_user"] is None
    assert created["opened_by"] == "tech1"
    assert created["channel"] == "phone"  # the helpdesk took it
    assert created["asset_tag"] is None and created["asset_known"] is None
    assert response.headers["ETag"] == f'"{created["version"]}"'

    got = await kit.client.get(f"{TICKETS}/{created['reference']}", headers=kit.technician)
    assert got.status_code == 200, got.text
    assert got.headers["ETag"] == response.headers["ETag"]
    assert got.json() == created


async def test_a_reference_is_read_whatever_its_case(kit: Kit) -> None:
    created = await kit.create_ticket(await kit.site())
    ticket = await read(kit, created["reference"].lower())
    assert ticket["reference"] == created["reference"]


async def test_a_requester_opens_from_the_portal(kit: Kit) -> None:
    created = await kit.create_ticket(await kit.site(), headers=kit.requester(), channel=None)
    assert created["channel"] == "portal" and created["opened_by"] == "req1"


# --- the priority ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("urgency", "impact"), [(1, 1), (1, 5), (2, 3), (3, 3), (4, 2), (4, 4), (5, 1), (5, 5)]
)
async def test_the_priority_comes_from_glpis_matrix(kit: Kit, urgency: int, impact: int) -> None:
    created = await kit.create_ticket(await kit.site(), urgency=urgency, impact=impact)
    assert created["priority"] == DEFAULT_MATRIX[urgency - 1][impact - 1]
    assert created["priority_manual"] is False


async def test_staff_set_a_major_priority_by_hand(kit: Kit) -> None:
    created = await kit.create_ticket(await kit.site(), urgency=1, impact=1, priority=6)
    assert (created["priority"], created["priority_label"]) == (6, "Majeure")
    assert created["priority_manual"] is True


async def test_a_requester_may_not_set_the_priority(kit: Kit) -> None:
    site = await kit.site()
    response = await post(kit, intake(site, priority=5), headers=kit.requester())
    refused_on(response, "priority")
    assert await tickets_of(kit, site) == 0


# --- refusals: each names its field and writes nothing ---------------------------------------

ACCOUNT = {"category": "account"}


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"urgency": 7}, "urgency"),
        ({"requester": {"name": "M. Durand"}}, "requester"),
        (
            {**ACCOUNT, "category_fields": {"failing_services": ["ENT"]}},
            "category_fields.class_or_sector",
        ),
        (
            {**ACCOUNT, "category_fields": {"class_or_sector": "4e B", "failing_services": []}},
            "category_fields.failing_services",
        ),
        (
            {
                **ACCOUNT,
                "category_fields": {"class_or_sector": "4e B", "failing_services": ["Facebook"]},
            },
            "category_fields.failing_services",
        ),
        (
            {
                "category": "software_install",
                "category_fields": {"software_name": "GIMP", "x": "1"},
            },
            "category_fields.x",
        ),
        ({"category": "no_such_category"}, "category"),
        ({"title": "Écran\x00noir"}, "title"),
        ({"description": "Écran\x00noir"}, "description"),
    ],
)
async def test_a_refused_intake_names_the_field_and_writes_nothing(
    kit: Kit, fields: dict[str, Any], named: str
) -> None:
    site = await kit.site()
    before = await kit.create_ticket(site)

    response = await post(kit, intake(site, **fields))
    refused_on(response, named)

    after = await kit.create_ticket(site)
    assert await tickets_of(kit, site) == 2
    # The counter did not move for the refused one.
    assert number_of(after["reference"])[1] == number_of(before["reference"])[1] + 1


async def test_a_site_imaging_registered_but_ticketing_has_not_heard_of_is_unknown(
    kit: Kit,
) -> None:
    code = new_code()  # registered in imaging, its event not consumed yet: no kit.site()
    refused_on(await post(kit, intake(code)), "site_code")
    assert await tickets_of(kit, code) == 0


async def test_a_retired_category_is_refused(kit: Kit) -> None:
    site = await kit.site()
    refused_on(await post(kit, intake(site, category=await inactive_category(kit))), "category")
    assert await tickets_of(kit, site) == 0


async def test_category_answers_are_kept_checked(kit: Kit) -> None:
    answers = {"class_or_sector": " 4e B ", "failing_services": ["Pronote", "ENT"]}
    created = await kit.create_ticket(await kit.site(), category="account", category_fields=answers)
    assert created["category_fields"] == {
        "class_or_sector": "4e B",
        "failing_services": ["Pronote", "ENT"],
    }
    assert created["category_label"] == "Compte et identifiants"


# --- the reference ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "year"),
    [
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), 2027),  # already 00:30 in Paris
        (datetime(2026, 12, 31, 22, 30, tzinfo=UTC), 2026),  # 23:30 in Paris
    ],
)
async def test_the_reference_year_is_the_year_in_paris(
    kit: Kit, db_session: AsyncSession, settings: TicketingSettings, now: datetime, year: int
) -> None:
    data = TicketIn.model_validate(intake(await kit.site()))
    ticket = await lifecycle.open_ticket(db_session, settings, data, TECHNICIAN, now=now)
    assert number_of(ticket.reference)[0] == year
    assert ticket.created_at == now


async def test_concurrent_creates_take_distinct_consecutive_references(
    kit: Kit, settings: TicketingSettings
) -> None:
    data = TicketIn.model_validate(intake(await kit.site()))
    # A year no other test numbers in: the 50 are alone on its counter.
    now = datetime(2041, 3, 2, 9, 0, tzinfo=UTC)
    sessions = async_sessionmaker(kit.engine, expire_on_commit=False)

    async def create() -> str:
        async with sessions() as session, session.begin():
            ticket = await lifecycle.open_ticket(session, settings, data, TECHNICIAN, now=now)
            return ticket.reference

    references = await asyncio.gather(*(create() for _ in range(50)))

    numbers = sorted(number_of(reference)[1] for reference in references)
    assert len(set(references)) == 50
    assert {number_of(reference)[0] for reference in references} == {2041}
    assert numbers == list(range(numbers[0], numbers[0] + 50))


# --- the asset tag ---------------------------------------------------------------------------


async def test_a_known_asset_tag_fills_room_hostname_and_model(kit: Kit) -> None:
    site = await kit.site()
    tag = await kit.host(
        site,
        asset_tag=f"GPI-{secrets.token_hex(3).upper()}",
        room_code="C101",
        hostname="CLGJZ-C101-07",
        model="OptiPlex 7090",
    )
    # Typed in lower case, kept as the park spells it.
    created = await kit.create_ticket(site, asset_tag=tag.lower())
    assert created["asset_tag"] == tag and created["asset_known"] is True
    assert (created["room_code"], created["hostname"]) == ("C101", "CLGJZ-C101-07")
    assert created["model"] == "Dell OptiPlex 7090"


async def test_a_long_make_and_model_are_cut_to_the_tickets_column(kit: Kit) -> None:
    site = await kit.site()
    tag = f"GPI-{secrets.token_hex(3).upper()}"
    async with AsyncSession(kit.engine) as session, session.begin():
        await park.keep_host(
            session,
            {
                "host_id": uuid.uuid4(),
                "site_code": site,
                "room_code": None,
                "asset_tag": tag,
                "hostname": "CLGJZ-CDI-01",
                "make": "M" * 100,
                "model": "X" * 100,
                "kind_label": "Poste fixe",
                "status": "in_service",
                "version": 1,
            },
        )
    created = await kit.create_ticket(site, asset_tag=tag, room_code=None)
    assert created["model"] == "M" * 100 + " " + "X" * 99
    assert created["room_code"] is None


async def test_the_callers_room_is_kept_over_the_parks(kit: Kit) -> None:
    site = await kit.site()
    tag = await kit.host(site, room_code="C101")
    created = await kit.create_ticket(site, asset_tag=tag, room_code="CDI")
    assert created["room_code"] == "CDI" and created["asset_known"] is True


async def test_an_unknown_asset_tag_is_kept_as_typed_and_flagged(kit: Kit) -> None:
    site = await kit.site()
    response = await post(kit, intake(site, asset_tag="45-inconnu", room_code="B12"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["asset_tag"], created["asset_known"]) == ("45-inconnu", False)
    assert created["hostname"] is None and created["model"] is None
    assert created["room_code"] == "B12"


# --- Idempotency-Key -------------------------------------------------------------------------


async def test_a_retried_create_returns_the_first_ticket(kit: Kit) -> None:
    site = await kit.site()
    headers = {**kit.technician, "Idempotency-Key": f"intake-{site}"}
    first = await post(kit, intake(site), headers=headers)
    again = await post(kit, intake(site), headers=headers)

    assert first.status_code == again.status_code == 201, again.text
    assert again.json()["reference"] == first.json()["reference"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"]
    assert "Idempotent-Replayed" not in first.headers
    assert await tickets_of(kit, site) == 1


async def test_the_same_key_with_another_body_is_refused(kit: Kit) -> None:
    site = await kit.site()
    headers = {**kit.technician, "Idempotency-Key": f"intake-{site}"}
    assert (await post(kit, intake(site), headers=headers)).status_code == 201
    other = await post(kit, intake(site, title="Autre panne"), headers=headers)
    assert other.status_code == 422, other.text
    assert other.json()["type"] == "urn:guichet:problem:idempotency-key-reused"
    assert await tickets_of(kit, site) == 1


async def test_a_refused_create_does_not_keep_its_key(kit: Kit) -> None:
    site = await kit.site()
    headers = {**kit.technician, "Idempotency-Key": f"intake-{site}"}
    refused_on(await post(kit, intake(site, urgency=9), headers=headers), "urgency")
    refused_on(await post(kit, intake(site, category="nope"), headers=headers), "category")
    corrected = await post(kit, intake(site), headers=headers)
    assert corrected.status_code == 201, corrected.text
    assert "Idempotent-Replayed" not in corrected.headers


# --- the created event -----------------------------------------------------------------------


async def test_the_created_event_says_what_readers_need_in_french(kit: Kit) -> None:
    site = await kit.site(name="Collège Jean Zay")
    created = await kit.create_ticket(
        site,
        urgency=5,
        impact=5,
        affected_user={"name": "M. Paul Durand", "email": "paul.durand@ac-orleans-tours.fr"},
    )
    [event] = await kit.events(created["reference"])
    assert event["type"] == "ticketing.ticket.created.v1"
    data = event["data"]
    assert data["reference"] == created["reference"] and data["ticket_id"] == created["id"]
    assert (data["site_code"], data["site_name"]) == (site, "Collège Jean Zay")
    assert data["requester_email"] == "claire.martin@ac-orleans-tours.fr"
    assert data["requester_name"] == "Mme Claire Martin"
    assert data["affected_email"] == "paul.durand@ac-orleans-tours.fr"
    assert (data["type"], data["type_label"]) == ("incident", "Incident")
    assert (data["status"], data["status_label"]) == ("new", "Nouveau")
    assert (data["priority"], data["priority_label"]) == (5, "Très haute")
    assert (data["urgency_label"], data["impact_label"]) == ("Très haute", "Très haute")
    assert (data["channel"], data["channel_label"]) == ("phone", "Téléphone")
    assert data["category_label"] == "Matériel"
    assert (data["actor"], data["actor_name"]) == ("tech1", "Théo Technicien")
    assert data["version"] == created["version"]
