"""What the naming and hosts tests share: sites of their own (the database is shared by the
tests of a run, so each test makes its sites, with a hostname prefix no other uses), and
the calls to the naming-policy and hosts API."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ..conftest import ApiCalls

SITES = "/api/imaging/sites"
POLICIES = "/api/imaging/naming-policies"
HOSTS = "/api/imaging/hosts"

Json = dict[str, Any]


def new_tag() -> str:
    """An asset tag no other test uses: `GPI-3F9A1C`."""
    return f"GPI-{secrets.token_hex(3).upper()}"


def new_mac() -> str:
    return ":".join(f"{b:02X}" for b in [0x02, *secrets.token_bytes(5)])


@dataclass
class Fleet(ApiCalls):
    """The imaging test kit (`tests/conftest.py`) with sites, policies and hosts on top."""

    async def site(self, **fields: Any) -> Json:
        """A new site whose hostname prefix (`T3F9A1`) no other test's site has: its names
        are this test's alone."""
        body = {
            "code": f"CLG-{secrets.token_hex(3).upper()}",
            "name": "Collège Jean Pelletier",
            "zone": "B",
            "hostname_prefix": f"T{secrets.token_hex(3).upper()[:5]}",
            **fields,
        }
        response = await self.kit.client.post(SITES, json=body, headers=self.kit.supervisor)
        assert response.status_code == 201, response.text
        created: Json = response.json()
        return created

    async def room(self, site: Json, code: str = "B104") -> Json:
        response = await self.kit.client.post(
            f"{SITES}/{site['code']}/rooms",
            json={"code": code, "name": f"Salle {code}"},
            headers=self.kit.supervisor,
        )
        assert response.status_code == 201, response.text
        created: Json = response.json()
        return created

    async def group(self, site: Json, code: str) -> Json:
        response = await self.kit.client.post(
            f"{SITES}/{site['code']}/groups",
            json={"code": code, "name": f"Groupe {code}"},
            headers=self.kit.supervisor,
        )
        assert response.status_code == 201, response.text
        created: Json = response.json()
        return created

    async def post_policy(
        self, template: str, site: Json | None = None, kind: str | None = None
    ) -> httpx.Response:
        body = {"site_code": site["code"] if site else None, "kind": kind, "template": template}
        response: httpx.Response = await self.kit.client.post(
            POLICIES, json=body, headers=self.kit.supervisor
        )
        return response

    async def policy(
        self, template: str, site: Json | None = None, kind: str | None = None
    ) -> Json:
        response = await self.post_policy(template, site, kind)
        assert response.status_code == 201, response.text
        created: Json = response.json()
        return created

    @staticmethod
    def host_body(site: Json, **overrides: Any) -> Json:
        return {
            "site_code": site["code"],
            "asset_tag": new_tag(),
            "macs": [new_mac()],
            "serial": f"SN{secrets.token_hex(4).upper()}",
            "model": "ThinkCentre M70q",
            "network": "pedagogy",
            **overrides,
        }

    async def post_host(self, body: Json, headers: dict[str, str] | None = None) -> httpx.Response:
        response: httpx.Response = await self.kit.client.post(
            HOSTS, json=body, headers=headers or self.kit.technician
        )
        return response

    async def host(self, site: Json, **overrides: Any) -> Json:
        response = await self.post_host(self.host_body(site, **overrides))
        assert response.status_code == 201, response.text
        created: Json = response.json()
        return created

    async def refused_without_the_etag(
        self, method: str, path: str, subject: str | None, **kwargs: Any
    ) -> str:
        """The house's If-Match rule on one write of `path`'s resource: 428 without, 412
        with a stale ETag, and nothing changed either way (the resource, the events about
        `subject`); returns the ETag to use."""
        resource = path.removesuffix("/rename").removesuffix("/retire")
        before = await self.get(resource)
        assert before.status_code == 200, before.text
        events_before = await self.kit.events(subject) if subject else []
        missing = await self.write(method, path, None, **kwargs)
        assert missing.status_code == 428, missing.text
        assert missing.json()["type"] == "urn:guichet:problem:precondition-required"
        stale = await self.write(method, path, '"0"', **kwargs)
        assert stale.status_code == 412, stale.text
        assert stale.json()["etag"] == before.headers["ETag"]
        after = await self.get(resource)
        assert after.json() == before.json()
        assert after.headers["ETag"] == before.headers["ETag"]
        if subject:
            assert await self.kit.events(subject) == events_before
        etag: str = before.headers["ETag"]
        return etag


@pytest.fixture
def fleet(kit: Any) -> Fleet:
    return Fleet(kit)
