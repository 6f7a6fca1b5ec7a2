"""What the garage's routers depend on: its settings, its state, who calls, the public
guard (body size and per-address rate limit)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from garage.ratelimit import PublicRateLimiter, client_ip
from garage.settings import SERVICE, GarageSettings
from guichet_common.auth import Principal, require_access, require_roles
from guichet_common.http import ProblemError, problem
from guichet_common.identity import Role
from guichet_common.runtime import settings_dependency, state_dependency


@dataclass(frozen=True)
class GarageState:
    """What the garage holds for its process's life: the public rate limiters."""

    submissions: PublicRateLimiter
    decisions: PublicRateLimiter


@asynccontextmanager
async def garage_lifespan(settings: GarageSettings) -> AsyncIterator[GarageState]:
    yield GarageState(
        submissions=PublicRateLimiter(settings.rate_limit),
        decisions=PublicRateLimiter(settings.decision_rate_limit),
    )


SettingsDep = Annotated[GarageSettings, Depends(settings_dependency(GarageSettings))]
StateDep = Annotated[GarageState, Depends(state_dependency(GarageState))]
# A teacher in person (their own calendar link); the two below also take API keys.
Teacher = Annotated[Principal, Depends(require_roles(Role.GARAGE_TEACHER))]
TeacherReads = Annotated[
    Principal, Depends(require_access(SERVICE, Role.GARAGE_TEACHER, access="read"))
]
TeacherWrites = Annotated[
    Principal, Depends(require_access(SERVICE, Role.GARAGE_TEACHER, access="write"))
]


class PayloadTooLarge(ProblemError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class RateLimited(ProblemError):
    status, slug, title = 429, "rate-limited", "Too many requests"


def check_size(request: Request, settings: GarageSettings) -> None:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
        raise PayloadTooLarge(f"at most {settings.max_body_bytes} bytes")


def check_rate(request: Request, limiter: PublicRateLimiter) -> None:
    retry_after = limiter.retry_after(client_ip(request))
    if retry_after is not None:
        raise RateLimited(f"retry in {retry_after} s", retry_after=retry_after)


async def public_submission_guard(request: Request, settings: SettingsDep, state: StateDep) -> None:
    """Public submissions: body size and per-address rate limit, checked before the body
    is read (a flood of invalid posts counts too)."""
    check_size(request, settings)
    check_rate(request, state.submissions)


PublicSubmission = Depends(public_submission_guard)


async def on_rate_limited(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RateLimited)
    response = problem(exc.status, exc.slug, exc.title, exc.detail, **exc.extra)
    response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response
