"""What the sites tests share: unique site codes (the database is shared by the tests of a
run) and the calls to the sites API."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ..conftest import ApiCalls

SITES = "/api/imaging/sites"

Json = dict[str, Any]


# Monday to Friday with a lunch break, Wednesday mornings only; listed out of order.
WEEK_WITH_LUNCH = [
    {
        "weekday": day,
        "ranges": [{"start": "08:00", "end": "12:30"}, {"start": "13:30", "end": "17:30"}],
    }
    for day in (0, 1, 3, 4)
] + [{"weekday": 2, "ranges": [{"start": "08:00", "end": "12:00"}]}]


def fields_named(response: httpx.Response) -> list[str]:
    """The fields a 422 names."""
    return [error["field"] for error in response.json()["errors"]]


def new_code(prefix: str = "CLG") -> str:
    """A site code no other test uses: `CLG-3F9A1C`."""
    return f"{prefix}-{secrets.token_hex(3).upper()}"


def new_uai() -> str:
    """A valid UAI no other test uses (its check letter computed as the rectorats do)."""
    digits = f"0{secrets.randbelow(10**6):06d}"
    return digits + "ABCDEFGHJKLMNPRSTUVWXYZ"[int(digits) % 23]


def greek_code() -> str:
    """A code of letters that have no ASCII form (nothing to derive a prefix from)."""
    return "ΑΘ-" + "".join("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠ"[int(c, 16)] for c in secrets.token_hex(4))


@dataclass
class Park(ApiCalls):
    """The imaging test kit (`tests/conftest.py`) with the sites calls on top."""

    async def create_site(self, code: str | None = None, **fields: Any) -> Json:
        body = {"code": code or new_code(), "name": "Collège Jean Pelletier", "zone": "B", **fields}
        response = await self.kit.client.post(SITES, json=body, headers=self.kit.supervisor)
        assert response.status_code == 201, response.text
        created: Json = response.json()
        return created

    async def create(self, path: str, body: Json, headers: dict[str, str] | None = None) -> Json:
        response = await self.kit.client.post(
            path, json=body, headers=headers or self.kit.technician
        )
        assert response.status_code == 201, response.text
        created: Json = response.json()
        return created

    async def refused_without_the_etag(self, method: str, path: str, **kwargs: Any) -> str:
        """The house's If-Match rule on one write: 428 without, 412 with a stale ETag, and
        nothing changed either way (the resource, the outbox); returns the ETag to use."""
        subject = path.split("/")[4]  # /api/imaging/sites/{code}/…: events are the site's
        before = await self.get(path)
        assert before.status_code == 200, before.text
        events_before = await self.kit.events(subject)
        missing = await self.write(method, path, None, **kwargs)
        assert missing.status_code == 428, missing.text
        assert missing.json()["type"] == "urn:guichet:problem:precondition-required"
        stale = await self.write(method, path, '"0"', **kwargs)
        assert stale.status_code == 412, stale.text
        assert stale.json()["etag"] == before.headers["ETag"]
        after = await self.get(path)
        assert after.json() == before.json()
        assert after.headers["ETag"] == before.headers["ETag"]
        assert await self.kit.events(subject) == events_before
        etag: str = before.headers["ETag"]
        return etag


@pytest.fixture
def park(kit: Any) -> Park:
    return Park(kit)
