"""What the renewal tests share: a site of their own (the database is shared by the tests
of a run) and hosts registered through the API with their purchase dates."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

HOSTS = "/api/imaging/hosts"
SITES = "/api/imaging/sites"
RENEWAL = "/api/imaging/renewal"

Json = dict[str, Any]


def today_in_paris() -> date:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (at most the 28th, so it always exists)."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


def new_site_code() -> str:
    return "REN-" + secrets.token_hex(3).upper()


@dataclass
class Park:
    kit: Any
    site: str

    async def register(self, purchase_date: date | None, **fields: Any) -> Json:
        body = {
            "site_code": self.site,
            "asset_tag": "GPI-" + secrets.token_hex(4).upper(),
            "hostname": "PC-" + secrets.token_hex(4).upper(),
            "network": "pedagogy",
            "purchase_date": purchase_date.isoformat() if purchase_date else None,
            **fields,
        }
        response = await self.kit.client.post(HOSTS, json=body, headers=self.kit.technician)
        assert response.status_code == 201, response.text
        host: Json = response.json()
        return host

    async def retire(self, host: Json) -> None:
        path = f"{HOSTS}/{host['asset_tag']}"
        etag = (await self.kit.client.get(path, headers=self.kit.technician)).headers["ETag"]
        retired = await self.kit.client.post(
            f"{path}/retire", headers={**self.kit.technician, "If-Match": etag}
        )
        assert retired.status_code == 200, retired.text


async def new_site(kit: Any, name: str = "Collège Jean Rostand") -> str:
    code = new_site_code()
    created = await kit.client.post(
        SITES, json={"code": code, "name": name, "zone": "B"}, headers=kit.supervisor
    )
    assert created.status_code == 201, created.text
    return code


@pytest.fixture
async def park(kit: Any) -> Park:
    return Park(kit, await new_site(kit))
