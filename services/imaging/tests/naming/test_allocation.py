"""Allocation: the lowest free number of a pattern, never the same name twice however many
hosts are created at once, a 409 when a pattern is full, names free again after their
quarantine only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from imaging.errors import HostnameTaken
from imaging.hosts import service
from imaging.hosts.schemas import HostIn
from imaging.settings import ImagingSettings

from .conftest import HOSTS, Fleet

pytestmark = pytest.mark.integration


async def test_fifty_concurrent_creates_get_fifty_distinct_names(fleet: Fleet, kit: Any) -> None:
    """Each POST is its own request and transaction; they all pick the lowest free number
    at once, and the register's key sends the losers to the next one."""
    site = await fleet.site()
    prefix = site["hostname_prefix"]
    bodies = [fleet.host_body(site) for _ in range(50)]
    answers = await asyncio.gather(*(fleet.post_host(body) for body in bodies))
    assert [a.status_code for a in answers] == [201] * 50, [a.text for a in answers if a.is_error]
    names = [a.json()["hostname"] for a in answers]
    assert sorted(names) == [f"{prefix}-PPC-{n:03d}" for n in range(1, 51)]
    # None lost: each host holds its name in the register, and the register holds those.
    held = await kit.scalar(
        "SELECT count(*) FROM imaging.hostname r JOIN imaging.host h ON h.id = r.host_id "
        "WHERE r.name = h.hostname AND r.released_at IS NULL AND h.site_id = :site",
        site=site["id"],
    )
    assert held == 50
    for body, answer in zip(bodies, answers, strict=True):
        assert answer.json()["asset_tag"] == body["asset_tag"]
        registered = await kit.events(body["asset_tag"])
        assert [e["data"]["hostname"] for e in registered] == [answer.json()["hostname"]]


async def test_the_lowest_free_number_is_taken_and_gaps_are_filled(fleet: Fleet) -> None:
    site = await fleet.site()
    prefix = site["hostname_prefix"]
    # Names given by hand take numbers of the pattern; the policy goes around them.
    await fleet.host(site, hostname=f"{prefix}-PPC-001")
    await fleet.host(site, hostname=f"{prefix.lower()}-ppc-003")
    assert (await fleet.host(site))["hostname"] == f"{prefix}-PPC-002"
    assert (await fleet.host(site))["hostname"] == f"{prefix}-PPC-004"
    # Another pattern (the admin network) has its own numbers.
    assert (await fleet.host(site, network="admin"))["hostname"] == f"{prefix}-APC-001"


async def test_a_full_pattern_is_a_409_naming_the_policy(make_client: Any, fleet: Fleet) -> None:
    """A policy of 99 names ({nn}): the 100th host is refused, never given a shorter or
    longer name; a name comes back only once its quarantine is over."""
    site = await fleet.site()
    prefix = site["hostname_prefix"]
    policy = await fleet.policy("{prefix}Z{nn}", site=site)
    answers = await asyncio.gather(*(fleet.post_host(fleet.host_body(site)) for _ in range(99)))
    assert {a.status_code for a in answers} == {201}
    assert sorted(a.json()["hostname"] for a in answers) == [
        f"{prefix}Z{n:02d}" for n in range(1, 100)
    ]

    body = fleet.host_body(site)
    full = await fleet.post_host(body)
    assert full.status_code == 409, full.text
    problem = full.json()
    assert problem["type"] == "urn:guichet:problem:names-exhausted"
    assert problem["policy_id"] == policy["id"]
    assert problem["template"] == "{prefix}Z{nn}"
    assert (problem["pattern"], problem["capacity"]) == (f"{prefix}Z##", 99)
    assert f"the naming policy {{prefix}}Z{{nn}} (site {site['code']}" in problem["detail"]
    assert "is full" in problem["detail"]
    assert (await fleet.get(f"{HOSTS}/{body['asset_tag']}")).status_code == 404

    # Retired, a name stays in quarantine: the pattern is still full.
    [seventh] = [a.json() for a in answers if a.json()["hostname"] == f"{prefix}Z07"]
    path = f"{HOSTS}/{seventh['asset_tag']}/retire"
    retired = await fleet.write("POST", path, await fleet.kit.etag(path.removesuffix("/retire")))
    assert retired.status_code == 200, retired.text
    assert (await fleet.post_host(fleet.host_body(site))).status_code == 409

    # With no quarantine, a retired host's name is free at once: the lowest one is reused.
    async with make_client(hostname_quarantine_days=0) as client:
        eighth = next(a.json() for a in answers if a.json()["hostname"] == f"{prefix}Z08")
        host = f"{HOSTS}/{eighth['asset_tag']}"
        etag = (await client.get(host, headers=fleet.kit.supervisor)).headers["ETag"]
        freed = await client.post(
            f"{host}/retire", headers={**fleet.kit.supervisor, "If-Match": etag}
        )
        assert freed.status_code == 200, freed.text
        again = await client.post(HOSTS, json=fleet.host_body(site), headers=fleet.kit.technician)
        assert again.status_code == 201, again.text
        assert again.json()["hostname"] == f"{prefix}Z08"
        assert (
            await client.post(HOSTS, json=fleet.host_body(site), headers=fleet.kit.technician)
        ).status_code == 409


async def test_a_retired_name_is_free_after_its_quarantine_only(
    fleet: Fleet, db_session: AsyncSession, settings: ImagingSettings
) -> None:
    site = await fleet.site()
    prefix = site["hostname_prefix"]
    first = await fleet.host(site)
    path = f"{HOSTS}/{first['asset_tag']}"
    retired = await fleet.write("POST", f"{path}/retire", await fleet.kit.etag(path))
    assert retired.status_code == 200, retired.text
    free_from = datetime.fromisoformat(retired.json()["name_free_from"])
    assert free_from - datetime.fromisoformat(retired.json()["retired_at"]) == timedelta(days=90)

    def data(**fields: Any) -> HostIn:
        return HostIn.model_validate(fleet.host_body(site, **fields))

    # A second before the end: still reserved, by policy and by hand.
    just_before = free_from - timedelta(seconds=1)
    second = await service.register_host(
        db_session, settings, data(), actor="test", now=just_before
    )
    assert second.hostname == f"{prefix}-PPC-002"
    with pytest.raises(HostnameTaken) as taken:
        await service.register_host(
            db_session, settings, data(hostname=first["hostname"]), actor="test", now=just_before
        )
    assert taken.value.extra["free_from"] == free_from.astimezone(UTC).isoformat()
    assert taken.value.extra["last_held_by"] == {
        "asset_tag": first["asset_tag"],
        "site_code": site["code"],
    }
    # At its end, the lowest free name of the pattern is the retired host's again.
    third = await service.register_host(db_session, settings, data(), actor="test", now=free_from)
    assert third.hostname == first["hostname"]
    held = await service.get_host(db_session, third.asset_tag)
    assert held.hostname == first["hostname"]
