"""A site's hours changed (imaging's `imaging.site.updated.v1`, queue `ticketing.sla`): the
running clocks of its tickets get new deadlines from the hours the event carries, whether
or not the park's read model has taken the event yet."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.events import Envelope, utcnow
from ticketing.main import definition
from ticketing.park import repository as park
from ticketing.park.models import ParkSite
from ticketing.sla import service as sla
from ticketing.sla.handlers import sla_subscription
from ticketing.sla.models import ClockKind
from ticketing.sla.schemas import SiteUpdatedV1

from ..conftest import OPENING_HOURS, Kit
from .conftest import paris
from .support import act, assign, clock, new_technician, open_at, pend, sla_events

pytestmark = pytest.mark.integration

TTR = ClockKind.TTR
SITE_UPDATED = "imaging.site.updated.v1"
# Monday to Friday 08:00-18:00 (600 minutes a day, Wednesday afternoons included).
LONG_DAYS = [
    {"weekday": day, "ranges": [{"start": "08:00:00", "end": "18:00:00"}]} for day in range(5)
]


def site_updated(code: str, version: int, hours: list[dict[str, Any]], **fields: Any) -> Any:
    """Imaging's payload, as it publishes it (fields the SLA ignores included)."""
    return {
        "site_id": str(uuid.uuid4()),
        "site_code": code,
        "version": version,
        "name": "Collège Jean Zay",
        "kind": "college",
        "kind_label": "Collège",
        "uai": "0450786K",
        "department": "45",
        "zone": "B",
        "address": None,
        "opening_hours": hours,
        "contacts": [],
        "active": True,
        "hostname_prefix": "CLGJZ",
        **fields,
    }


async def deliver(kit: Kit, session: AsyncSession, payload: dict[str, Any]) -> None:
    """Through the SLA's subscription, as the worker's consumer calls it."""
    model, handler = sla_subscription(kit.settings).handlers[SITE_UPDATED]
    envelope = Envelope(
        id=uuid.uuid4(),
        source="imaging",
        type=SITE_UPDATED,
        time=utcnow(),
        data=payload,
    )
    await handler(session, model.model_validate(payload), envelope)


async def opened_and_assigned(kit: Kit, session: AsyncSession, site: str) -> Any:
    """P3 opened Monday 9 March 2026 08:00, assigned at 08:30: TTR (1,440) due Thursday
    12 March 12:00 on the collège's hours."""
    login = await new_technician(kit)
    ticket = await open_at(session, kit.settings, site, paris(2026, 3, 9, 8))
    ticket = await act(session, kit.settings, ticket, assign(login), paris(2026, 3, 9, 8, 30))
    assert (await clock(session, ticket, TTR)).deadline == paris(2026, 3, 12, 12)
    return ticket


async def test_new_hours_move_the_deadline_of_running_clocks(
    kit: Kit, db_session: AsyncSession
) -> None:
    # 1,440 from Monday 08:00 at 600 a day: Monday 600, Tuesday 600, Wednesday 08:00-12:00:
    # Wednesday 11 March 12:00; the warning at 1,080: Tuesday 8:00 + 480 = Tuesday 16:00.
    site = await kit.site()
    ticket = await opened_and_assigned(kit, db_session, site)
    await deliver(kit, db_session, site_updated(site, 2, LONG_DAYS))
    ttr = await clock(db_session, ticket, TTR)
    assert (ttr.deadline, ttr.warn_at) == (paris(2026, 3, 11, 12), paris(2026, 3, 10, 16))
    assert ttr.next_check_at == ttr.warn_at
    assert ttr.elapsed_seconds == 0 and ttr.running_since == paris(2026, 3, 9, 8)
    # The park's read model was not touched by the SLA: the event is the park's to keep.
    stored = await db_session.scalar(select(ParkSite.version).where(ParkSite.code == site))
    assert stored == 1


async def test_paused_and_ended_clocks_are_left_alone(kit: Kit, db_session: AsyncSession) -> None:
    site = await kit.site()
    ticket = await opened_and_assigned(kit, db_session, site)
    ticket = await act(db_session, kit.settings, ticket, pend(), paris(2026, 3, 9, 10))
    await deliver(kit, db_session, site_updated(site, 2, LONG_DAYS))
    ttr = await clock(db_session, ticket, TTR)
    assert (ttr.deadline, ttr.elapsed_seconds) == (None, 120 * 60)
    assert (await clock(db_session, ticket, ClockKind.TTO)).stopped_at == paris(2026, 3, 9, 8, 30)


async def test_unchanged_hours_change_nothing_and_warn_no_more(
    kit: Kit, db_session: AsyncSession
) -> None:
    site = await kit.site()
    ticket = await opened_and_assigned(kit, db_session, site)
    await sla.check_due(db_session, paris(2026, 3, 11, 10), 100)
    assert await sla_events(db_session, ticket.reference) == [("sla_warned", "ttr")]
    await deliver(kit, db_session, site_updated(site, 2, OPENING_HOURS, name="Collège J. Zay"))
    ttr = await clock(db_session, ticket, TTR)
    assert ttr.deadline == paris(2026, 3, 12, 12)
    await sla.check_due(db_session, paris(2026, 3, 11, 11), 100)
    assert await sla_events(db_session, ticket.reference) == [("sla_warned", "ttr")]


async def test_an_older_event_than_the_park_holds_changes_nothing(
    kit: Kit, db_session: AsyncSession
) -> None:
    site = await kit.site()
    ticket = await opened_and_assigned(kit, db_session, site)
    # The park already has version 3 (and its hours, the collège's): version 2 is stale.
    row = {
        "site_id": (await park.find_site(db_session, site)).site_id,  # type: ignore[union-attr]
        "code": site,
        "version": 3,
        "name": "Collège Jean Zay",
        "kind_label": "Collège",
        "department": "45",
        "zone": "B",
        "opening_hours": OPENING_HOURS,
        "contacts": [],
        "active": True,
    }
    await park.keep_site(db_session, row)
    await deliver(kit, db_session, site_updated(site, 2, LONG_DAYS))
    assert (await clock(db_session, ticket, TTR)).deadline == paris(2026, 3, 12, 12)


async def test_a_new_department_or_zone_counts_too(kit: Kit, db_session: AsyncSession) -> None:
    # A zone A site on Friday 13 February 2026 16:00 (P3, TTO 240) is on holiday until 22
    # February: due Monday 23 February 12:00. Told it is in zone C (on holiday from 21
    # February only): Friday 16:00-17:30 = 90, Monday 16 08:00-10:30: Monday 16 10:30.
    site = await kit.site(zone="A")
    ticket = await open_at(db_session, kit.settings, site, paris(2026, 2, 13, 16))
    assert (await clock(db_session, ticket, ClockKind.TTO)).deadline == paris(2026, 2, 23, 12)
    await deliver(kit, db_session, site_updated(site, 2, OPENING_HOURS, zone="C"))
    assert (await clock(db_session, ticket, ClockKind.TTO)).deadline == paris(2026, 2, 16, 10, 30)


def test_the_sla_listens_in_its_own_consumer_group() -> None:
    subscriptions = {s.group: s for s in definition().subscriptions}
    assert set(subscriptions) >= {"park", "sla"}
    model, _handler = subscriptions["sla"].handlers[SITE_UPDATED]
    assert model is SiteUpdatedV1
    assert list(subscriptions["sla"].handlers) == [SITE_UPDATED]
