"""`GET /api/ticketing/tickets`: a summary per ticket, newest first, keyset pages, and each
filter (a repeatable one matches any of its values; filters narrow together)."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ..conftest import TICKETS, Kit, fields_named
from .conftest import edit, listed, references

pytestmark = pytest.mark.integration


async def test_an_item_is_a_summary_without_the_description(kit: Kit) -> None:
    site = await kit.site(name="Collège Condorcet")
    created = await kit.create_ticket(site, room_code="B204", urgency=4, impact=3)

    found = await listed(kit, site_code=site)

    assert found == {"items": [found["items"][0]], "next_cursor": None}
    assert found["items"][0] == {
        "reference": created["reference"],
        "type": "incident",
        "type_label": "Incident",
        "status": "new",
        "status_label": "Nouveau",
        "title": "Le poste de la salle B204 ne démarre plus",
        "category": "hardware",
        "category_label": "Matériel",
        "priority": created["priority"],
        "priority_label": created["priority_label"],
        "site_code": site,
        "site_name": "Collège Condorcet",
        "room_code": "B204",
        "assignee": None,
        "assignee_name": None,
        "group": None,
        "group_name": None,
        "requester_name": "Mme Claire Martin",
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
    }


async def test_newest_first_in_keyset_pages_without_gaps_or_duplicates(kit: Kit) -> None:
    site = await kit.site()
    made = [(await kit.create_ticket(site))["reference"] for _ in range(7)]
    # Three share one instant: the id breaks the tie, and a page may end among them.
    same = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    for reference in made[2:5]:
        await edit(kit, reference, created_at=same)
    for offset, reference in enumerate(made[5:]):
        await edit(kit, reference, created_at=same - timedelta(days=1 + offset))

    pages = []
    cursor = None
    while True:
        page = await listed(kit, site_code=site, limit=3, **({"cursor": cursor} if cursor else {}))
        pages.append([item["reference"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert [len(page) for page in pages] == [3, 3, 1]
    seen = [reference for page in pages for reference in page]
    assert sorted(seen) == sorted(made)  # no gap, no duplicate
    assert seen[:2] == [made[1], made[0]]  # created now: the newest first
    assert set(seen[2:5]) == set(made[2:5])
    assert seen[5:] == [made[5], made[6]]
    assert seen == await references(kit, site_code=site)


@pytest.mark.parametrize(
    "cursor",
    [
        base64.urlsafe_b64encode(b"[42]").decode(),  # another list's (one integer key)
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00","not-a-uuid"]').decode(),
        "%%%not-base64",
    ],
)
async def test_a_cursor_this_list_did_not_issue_is_422_on_cursor(kit: Kit, cursor: str) -> None:
    response = await kit.client.get(TICKETS, params={"cursor": cursor}, headers=kit.technician)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "urn:guichet:problem:validation-error"
    assert fields_named(response) == ["cursor"]


async def test_status_repeatable_and_glpi_status_groups(kit: Kit) -> None:
    site = await kit.site()
    by_status = {}
    for status in ("new", "assigned", "planned", "pending", "solved", "closed", "cancelled"):
        reference = (await kit.create_ticket(site))["reference"]
        await edit(kit, reference, status=status)
        by_status[status] = reference

    async def statuses(**params: Any) -> set[str]:
        found = await references(kit, site_code=site, **params)
        return {status for status, reference in by_status.items() if reference in found}

    assert await statuses(status="pending") == {"pending"}
    assert await statuses(status=["new", "closed"]) == {"new", "closed"}
    assert await statuses(status_group="notold") == {"new", "assigned", "planned", "pending"}
    assert await statuses(status_group="notclosed") == {
        "new",
        "assigned",
        "planned",
        "pending",
        "solved",
    }
    assert await statuses(status_group="process") == {"assigned", "planned"}
    assert await statuses(status_group="old") == {"solved", "closed", "cancelled"}
    assert await statuses(status_group="all") == set(by_status)
    assert await statuses() == set(by_status)
    # Both: the statuses of the group among those named.
    assert await statuses(status_group="old", status=["new", "closed"]) == {"closed"}
    assert await statuses(status_group="process", status="new") == set()


async def test_sites_priorities_type_assignee_and_group(kit: Kit) -> None:
    first, second, other = await kit.site(), await kit.site(), await kit.site()
    suffix = secrets.token_hex(3)
    group = f"grp_{suffix}"
    login = f"tech-{suffix}"
    made = await kit.client.post(
        "/api/ticketing/groups", json={"code": group, "name": "Proximité"}, headers=kit.supervisor
    )
    assert made.status_code == 201, made.text
    made = await kit.client.post(
        "/api/ticketing/technicians",
        json={"login": login, "name": "Paul Tech", "email": f"{login}@example.org"},
        headers=kit.supervisor,
    )
    assert made.status_code == 201, made.text
    low = (await kit.create_ticket(first, urgency=1, impact=1))["reference"]
    request = (await kit.create_ticket(first, type="request"))["reference"]
    assigned = (await kit.create_ticket(second))["reference"]
    grouped = (await kit.create_ticket(second))["reference"]
    elsewhere = (await kit.create_ticket(other))["reference"]
    await edit(kit, low, priority=1)
    await edit(kit, request, priority=5)
    await edit(kit, assigned, priority=3, assignee=login, assignee_name="Paul Tech")
    await edit(kit, grouped, priority=3, group_code=group, group_name="Proximité")
    await edit(kit, elsewhere, priority=5)
    mine = [first, second]

    assert set(await references(kit, site_code=mine)) == {low, request, assigned, grouped}
    # Site codes as people type them.
    assert await references(kit, site_code=first.lower()) == [request, low]
    assert await references(kit, site_code=mine, priority=5) == [request]
    assert set(await references(kit, site_code=mine, priority=[1, 5])) == {low, request}
    assert await references(kit, site_code=mine, type="request") == [request]
    assert set(await references(kit, site_code=mine, type="incident")) == {
        low,
        assigned,
        grouped,
    }
    assert await references(kit, assignee=login) == [assigned]
    assert await references(kit, group=group) == [grouped]
    assert await references(kit, site_code=mine, priority=3, group=group) == [grouped]
    # Unknown people or groups are not errors: nobody's tickets.
    assert await references(kit, assignee=f"nobody-{suffix}") == []


async def test_a_category_includes_its_sub_categories(kit: Kit) -> None:
    site = await kit.site()
    root = f"srch_{secrets.token_hex(3)}"
    for code, parent in ((root, None), (f"{root}_a", root), (f"{root}_a_1", f"{root}_a")):
        made = await kit.client.post(
            "/api/ticketing/categories",
            json={"code": code, "parent_code": parent, "label": f"Catégorie {code}"},
            headers=kit.supervisor,
        )
        assert made.status_code == 201, made.text
    at = {
        code: (await kit.create_ticket(site, category=code))["reference"]
        for code in (root, f"{root}_a", f"{root}_a_1", "hardware", "workstation_replacement")
    }

    assert set(await references(kit, site_code=site, category=root)) == {
        at[root],
        at[f"{root}_a"],
        at[f"{root}_a_1"],
    }
    assert set(await references(kit, site_code=site, category=f"{root}_a")) == {
        at[f"{root}_a"],
        at[f"{root}_a_1"],
    }
    assert await references(kit, site_code=site, category=f"{root}_a_1") == [at[f"{root}_a_1"]]
    assert set(await references(kit, site_code=site, category="hardware")) == {
        at["hardware"],
        at["workstation_replacement"],
    }
    assert await references(kit, site_code=site, category="network") == []


async def test_an_unknown_category_is_422_on_category(kit: Kit) -> None:
    response = await kit.client.get(
        TICKETS, params={"category": "no_such_thing"}, headers=kit.technician
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "urn:guichet:problem:validation-error"
    assert fields_named(response) == ["category"]


async def test_days_run_from_local_midnight_to_midnight_across_the_change_of_time(
    kit: Kit,
) -> None:
    site = await kit.site()
    # Paris moves to summer time on 29 March 2026 at 02:00: that day lasts 23 hours.
    moments = {
        "28 at 23:59:59": datetime(2026, 3, 28, 22, 59, 59, tzinfo=UTC),  # +01:00
        "29 at 00:00": datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
        "29 at 23:59:59": datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC),  # +02:00
        "30 at 00:00": datetime(2026, 3, 29, 22, 0, tzinfo=UTC),
    }
    at = {}
    for label, moment in moments.items():
        at[label] = (await kit.create_ticket(site))["reference"]
        await edit(kit, at[label], created_at=moment)

    async def days(**params: str) -> set[str]:
        found = await references(kit, site_code=site, **params)
        return {label for label, reference in at.items() if reference in found}

    on_29 = await days(created_from="2026-03-29", created_to="2026-03-29")
    assert on_29 == {"29 at 00:00", "29 at 23:59:59"}
    assert await days(created_to="2026-03-28") == {"28 at 23:59:59"}
    assert await days(created_from="2026-03-30") == {"30 at 00:00"}
    assert await days(created_from="2026-03-29") == set(at) - {"28 at 23:59:59"}
    # The calendar's first and last days are bounds like any other.
    assert await days(created_from="0001-01-01", created_to="9999-12-31") == set(at)


async def test_created_to_before_created_from_is_422_on_created_to(kit: Kit) -> None:
    response = await kit.client.get(
        TICKETS,
        params={"created_from": "2026-03-02", "created_to": "2026-03-01"},
        headers=kit.technician,
    )
    assert response.status_code == 422, response.text
    assert fields_named(response) == ["created_to"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "open"}, "status.0"),
        ({"status_group": "recent"}, "status_group"),
        ({"priority": "7"}, "priority.0"),
        ({"type": "problem"}, "type"),
        ({"created_from": "29/03/2026"}, "created_from"),
        ({"q": "x" * 201}, "q"),
        ({"q": "imprimante\x00"}, "q"),
        ({"site_code": "CLG\x00"}, "site_code.0"),
        ({"site_code": "X" * 21}, "site_code.0"),
        ({"site_code": [f"CLG-{n}" for n in range(101)]}, "site_code"),
        ({"limit": "201"}, "limit"),
    ],
)
async def test_a_bad_filter_is_422_naming_it(kit: Kit, params: dict[str, Any], field: str) -> None:
    response = await kit.client.get(TICKETS, params=params, headers=kit.technician)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "urn:guichet:problem:validation-error"
    assert fields_named(response) == [field]


async def test_nobody_without_a_ticketing_role_lists(kit: Kit) -> None:
    assert (await kit.client.get(TICKETS)).status_code == 401
    response = await kit.client.get(TICKETS, headers=kit.token("garage_teacher"))
    assert response.status_code == 403
    assert response.json()["type"] == "urn:guichet:problem:forbidden"
