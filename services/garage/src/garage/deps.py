"""FastAPI dependencies shared by the garage routers."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, FastAPI, Request, Response

from garage.ratelimit import PublicRateLimiter, client_ip
from garage.requests.intake import SubmissionIntake
from garage.settings import GarageSettings
from guichet_common.auth import Principal, Role, require_roles
from guichet_common.http import ProblemError, problem


async def _settings(request: Request) -> GarageSettings:
    # async: a plain `def` dependency would run in the thread pool, per request
    return settings_of(request)


def settings_of(request: Request) -> GarageSettings:
    return cast(GarageSettings, request.app.state.definition.settings)


SettingsDep = Annotated[GarageSettings, Depends(_settings)]
TeacherDep = Annotated[Principal, Depends(require_roles(Role.GARAGE_TEACHER))]


class PayloadTooLarge(ProblemError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class RateLimited(ProblemError):
    status, slug, title = 429, "rate-limited", "Too many requests"


async def public_guard(request: Request) -> None:
    """Public submissions: body size and per-IP rate limit, checked before the body is read
    (a flood of invalid posts counts too)."""
    settings = settings_of(request)
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
        raise PayloadTooLarge(f"at most {settings.max_body_bytes} bytes")
    check_rate(request, "submission")


def check_rate(request: Request, kind: str) -> None:
    """Per-IP limit of one kind of public action (`submission`, `decision`)."""
    limiter: PublicRateLimiter = request.app.state.garage_rate_limiters[kind]
    retry_after = limiter.retry_after(client_ip(request))
    if retry_after is not None:
        raise RateLimited(f"retry in {retry_after} s", retry_after=retry_after)


PublicGuard = Depends(public_guard)


async def _intake(request: Request) -> SubmissionIntake:
    return intake_of(request)


def intake_of(request: Request) -> SubmissionIntake:
    """One per app, made on first use (the session factory exists once the app started)."""
    state = request.app.state
    if getattr(state, "garage_intake", None) is None:
        state.garage_intake = SubmissionIntake(state.engine, settings_of(request))
        # Closed before the engine: the resources close in reverse order.
        state.resources.owned.append(state.garage_intake.close)
    intake: SubmissionIntake = state.garage_intake
    return intake


IntakeDep = Annotated[SubmissionIntake, Depends(_intake)]


def install(app: FastAPI, settings: GarageSettings) -> None:
    """App state and handlers the garage routers rely on (`ServiceDefinition.extra_setup`)."""
    app.state.garage_rate_limiters = {
        "submission": PublicRateLimiter(settings.rate_limit),
        "decision": PublicRateLimiter(settings.decision_rate_limit),
    }

    async def on_rate_limited(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RateLimited)
        response = problem(exc.status, exc.slug, exc.title, exc.detail, **exc.extra)
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
        return response

    app.add_exception_handler(RateLimited, on_rate_limited)
