"""`GET /api/imaging/hosts`: by hostname, filtered, paged by keyset; a caller limited to
some sites sees theirs only."""

from __future__ import annotations

from typing import Any

import pytest

from ..naming.conftest import HOSTS, Fleet

pytestmark = pytest.mark.integration


async def _listed(fleet: Fleet, query: str, headers: dict[str, str] | None = None) -> list[str]:
    """The asset tags of every page of the list, in order."""
    tags: list[str] = []
    cursor: str | None = None
    while True:
        url = f"{HOSTS}?{query}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await fleet.get(url, headers=headers)
        assert page.status_code == 200, page.text
        tags.extend(h["asset_tag"] for h in page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return tags


async def test_the_list_filters_and_pages_by_hostname(fleet: Fleet) -> None:
    site = await fleet.site()
    await fleet.room(site, "B104")
    desk = await fleet.host(site, room_code="B104", serial="XYZ-777")
    laptop = await fleet.host(site, kind="laptop", network="admin", macs=["02:AB:00:00:00:09"])
    spare = await fleet.host(site, status="stored")
    by_name = [laptop, desk, spare]  # T…-APO-001, T…-PPC-001, T…-PPC-002
    code = site["code"]

    assert await _listed(fleet, f"site={code.lower()}") == [h["asset_tag"] for h in by_name]
    assert await _listed(fleet, f"site={code}&room=b104") == [desk["asset_tag"]]
    assert await _listed(fleet, f"site={code}&status=stored") == [spare["asset_tag"]]
    assert await _listed(fleet, f"site={code}&kind=laptop") == [laptop["asset_tag"]]
    assert await _listed(fleet, f"site={code}&network=pedagogy") == [
        desk["asset_tag"],
        spare["asset_tag"],
    ]
    assert await _listed(fleet, f"site={code}&q=z-77") == [desk["asset_tag"]]  # the serial
    assert await _listed(fleet, f"site={code}&q={desk['asset_tag'].lower()}") == [desk["asset_tag"]]
    assert await _listed(fleet, f"site={code}&q=-apo-") == [laptop["asset_tag"]]
    assert await _listed(fleet, "q=02-ab-00-00-00-09") == [laptop["asset_tag"]]
    assert await _listed(fleet, f"site={code}&q=%25") == []  # `%` is a character, not a wildcard


async def test_a_caller_limited_to_some_sites_lists_theirs(fleet: Fleet, kit: Any) -> None:
    site, other = await fleet.site(), await fleet.site()
    mine = await fleet.host(site, serial="SHARED-SERIAL-1")
    theirs = await fleet.host(other, serial="SHARED-SERIAL-1")
    limited = kit.token("technician", sites=[site["code"].lower()])
    assert await _listed(fleet, "q=shared-serial-1", headers=limited) == [mine["asset_tag"]]
    assert sorted(await _listed(fleet, "q=shared-serial-1")) == sorted(
        [mine["asset_tag"], theirs["asset_tag"]]
    )
    refused = await fleet.get(f"{HOSTS}?site={other['code']}", headers=limited)
    assert refused.status_code == 403, refused.text


async def test_a_foreign_cursor_is_a_422(fleet: Fleet) -> None:
    refused = await fleet.get(f"{HOSTS}?cursor=bm9wZQ")
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "cursor"
