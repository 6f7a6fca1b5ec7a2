"""What the planning tests share: a teacher's calls to the timetable and session API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

PARIS = ZoneInfo("Europe/Paris")
SLOTS = "/api/garage/timetable/slots"
GENERATE = "/api/garage/timetable/generate"
SESSIONS = "/api/garage/sessions"

Json = dict[str, Any]


@dataclass
class Planner:
    """The garage's test kit (`tests/conftest.py`), with the planning calls on top."""

    kit: Any

    @staticmethod
    def slot_body(
        weekday: int, start: str, end: str, valid_from: date, valid_until: date, **overrides: Any
    ) -> Json:
        return {
            "weekday": weekday,
            "start_time": start,
            "end_time": end,
            "student_group": "BAC PRO MV 1",
            "teacher": "prof1",
            "bays": 4,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
            **overrides,
        }

    @staticmethod
    def of_slot(sessions: list[Json], slot: Json) -> list[Json]:
        return [s for s in sessions if s["slot_id"] == slot["id"]]

    @staticmethod
    def local(moment: str) -> datetime:
        return datetime.fromisoformat(moment).astimezone(PARIS)

    @staticmethod
    def utc_hour(moment: str) -> int:
        return datetime.fromisoformat(moment).astimezone(UTC).hour

    async def get(self, path: str) -> httpx.Response:
        response: httpx.Response = await self.kit.client.get(path, headers=self.kit.teacher)
        return response

    async def etag(self, path: str) -> str:
        etag: str = await self.kit.etag(path)
        return etag

    async def write(
        self, method: str, path: str, etag: str | None, **kwargs: Any
    ) -> httpx.Response:
        """A write with `If-Match: etag` (none when `etag` is None)."""
        headers = {**self.kit.teacher, **({"If-Match": etag} if etag is not None else {})}
        response: httpx.Response = await self.kit.client.request(
            method, path, headers=headers, **kwargs
        )
        return response

    async def write_needing_the_etag(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The house's If-Match rule on one write: 428 without, 412 with a stale ETag, and
        nothing changed either way; then the write with the ETag read, which it returns."""
        before = await self.get(path)
        missing = await self.write(method, path, None, **kwargs)
        assert missing.status_code == 428, missing.text
        assert missing.json()["type"].endswith(":precondition-required")
        stale = await self.write(method, path, '"0"', **kwargs)
        assert stale.status_code == 412, stale.text
        assert stale.json()["etag"] == before.headers["ETag"]
        after = await self.get(path)
        assert after.json() == before.json() and after.headers["ETag"] == before.headers["ETag"]
        done = await self.write(method, path, before.headers["ETag"], **kwargs)
        assert done.status_code == (200 if method == "PATCH" else 204), done.text
        if method == "PATCH":
            assert done.headers["ETag"] != before.headers["ETag"]
            assert (await self.get(path)).json() == done.json()
        else:
            assert (await self.get(path)).status_code == 404
        return done

    async def post(self, path: str, body: Json, **headers: str) -> httpx.Response:
        response: httpx.Response = await self.kit.client.post(
            path, json=body, headers={**self.kit.teacher, **headers}
        )
        return response

    async def create_slot(self, body: Json) -> Json:
        response = await self.post(SLOTS, body)
        assert response.status_code == 201, response.text
        assert response.headers["ETag"]
        created: Json = response.json()
        return created

    async def create_session(self, starts_at: str, ends_at: str, bays: int = 1) -> httpx.Response:
        body = {
            "starts_at": starts_at,
            "ends_at": ends_at,
            "bays": bays,
            "teacher": "prof1",
            "student_group": "CAP MV",
        }
        response = await self.post(SESSIONS, body)
        assert response.status_code == 201, response.text
        return response

    async def generate(self, start: date, end: date) -> Json:
        response = await self.post(GENERATE, {"start": start.isoformat(), "end": end.isoformat()})
        assert response.status_code == 200, response.text
        body: Json = response.json()
        return body

    async def sessions_between(self, start: date, end: date) -> list[Json]:
        """The sessions listed (cancelled ones are not) starting on a date of [start, end]."""
        response = await self.kit.client.get(
            SESSIONS,
            params={
                "start": datetime.combine(start, time(0), tzinfo=PARIS).isoformat(),
                "end": datetime.combine(end + timedelta(days=1), time(0), tzinfo=PARIS).isoformat(),
            },
            headers=self.kit.teacher,
        )
        assert response.status_code == 200, response.text
        listed: list[Json] = response.json()
        return listed

    async def accepted(self) -> str:
        """A request whose quote the client accepted: ready to be scheduled."""
        number: str = (await self.kit.submit())["number"]
        issued = await self.kit.issue_first_quote(number)
        await self.kit.decide(issued["decision_url"], "accept")
        return number


@pytest.fixture
def plan(kit: Any) -> Planner:
    return Planner(kit)
