"""HTTP conventions: problem+json, correlation ids, health and metrics, the request's
unit of work, ETag/If-Match."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uuid_utils import uuid7

from guichet_common.db import is_database_unavailable, unit_of_work
from guichet_common.logging import correlation_id_var, get_logger

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:guichet:problem:"
CORRELATION_HEADER = "x-correlation-id"
RETRY_AFTER_SECONDS = 5  # a PostgreSQL restart: what a client should wait before trying again

HTTP_SECONDS = Histogram(
    "guichet_http_request_seconds", "HTTP request duration", ["service", "method", "status"]
)


class ProblemError(Exception):
    """A business error rendered as RFC 9457 problem+json with a stable `type`."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extra = extra


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(ProblemError):
    status, slug, title = 412, "precondition-failed", "The resource changed since you read it"


class PreconditionRequired(ProblemError):
    status, slug, title = 428, "precondition-required", "If-Match header required"


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Not allowed"


class InvalidInput(ProblemError):
    """Input the schema let through but the domain refuses: the same shape as a schema
    validation error (`errors: [{field, message}]`), naming the field."""

    status, slug, title = 422, "validation-error", "Invalid input"

    def __init__(self, detail: str, *, field: str, **extra: Any) -> None:
        super().__init__(detail, field=field, errors=[{"field": field, "message": detail}], **extra)


def problem(
    status: int, slug: str, title: str, detail: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    cid = correlation_id_var.get()
    if cid:
        body["correlation_id"] = cid
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:] or parts
    return ".".join(parts)


async def problem_response(_request: Request, exc: Exception) -> Response:
    """problem+json for a business error, invalid input or an HTTP error (404, 405…)."""
    if isinstance(exc, ProblemError):
        return problem(exc.status, exc.slug, exc.title, exc.detail, **exc.extra)
    if isinstance(exc, RequestValidationError):
        errors = [
            {"field": _field_name(e["loc"]), "message": e["msg"], "in": str(e["loc"][0])}
            for e in exc.errors()
        ]
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        return problem(
            422, "validation-error", "Invalid input", f"Invalid: {fields}", errors=errors
        )
    if isinstance(exc, StaleDataError):
        # Two writers passed If-Match with the same version; the second's versioned UPDATE
        # matched no row: it lost the race, as a stale If-Match would have.
        return problem(
            412,
            PreconditionFailed.slug,
            PreconditionFailed.title,
            "the resource changed while this request ran; read it again",
        )
    assert isinstance(exc, StarletteHTTPException)
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    response = problem(exc.status_code, slug, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


# What `problem_response` answers; a service may answer them otherwise on some paths.
PROBLEM_EXCEPTIONS: tuple[type[Exception], ...] = (
    ProblemError,
    RequestValidationError,
    StarletteHTTPException,
    StaleDataError,
)


def install_problem_handlers(app: FastAPI) -> None:
    for exception in PROBLEM_EXCEPTIONS:
        app.add_exception_handler(exception, problem_response)


class CorrelationIdMiddleware:
    """Pure ASGI: take or mint a correlation id, expose it to logs and events, time requests."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self._timers: dict[tuple[str, int], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(CORRELATION_HEADER.encode())
        cid = incoming.decode("latin-1")[:100] if incoming else str(uuid7())
        token = correlation_id_var.set(cid)
        started = time.perf_counter()
        status = 500
        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (CORRELATION_HEADER.encode(), cid.encode("latin-1")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Rendered here, not by Starlette's outer error middleware, so the answer and the
            # log line still carry the correlation id the caller should quote.
            if started_response:
                log.exception("unhandled error", error=repr(exc))
                raise
            if is_database_unavailable(exc):
                log.warning("database unavailable", error=repr(exc))
                response = problem(
                    503,
                    "database-unavailable",
                    "Service temporarily unavailable",
                    "The database cannot be reached right now; try again shortly.",
                )
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            else:
                log.exception("unhandled error", error=repr(exc))
                response = problem(
                    500,
                    "internal-error",
                    "Internal error",
                    "Something went wrong on our side; quote the correlation id.",
                )
            await response(scope, receive, send_with_id)
        finally:
            key = (scope["method"], status)
            timer = self._timers.get(key)
            if timer is None:  # labels() looks up under a lock: once per method and status
                timer = self._timers[key] = HTTP_SECONDS.labels(self.service, key[0], str(status))
            timer.observe(time.perf_counter() - started)
            correlation_id_var.reset(token)


ReadinessCheck = Callable[[], Awaitable[None]]


def health_router(checks: dict[str, ReadinessCheck]) -> APIRouter:
    """`/healthz` (alive, no dependencies), `/readyz` (dependencies), `/metrics`."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> Response:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"failed: {type(exc).__name__}"
        ok = all(v == "ok" for v in results.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": results},
            status_code=200 if ok else 503,
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the endpoint returns, before the response
    is sent (scope="function"), rolled back if it raises. Services only flush."""
    async with unit_of_work(request.app.state.session_factory) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]


# --- ETag / If-Match ---------------------------------------------------------------------


def etag_for(version: int | str) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, current_version: int | str) -> None:
    """A write must name the version it read: a stale one is 412, a missing one 428."""
    if if_match is None:
        raise PreconditionRequired("send If-Match with the ETag you read")
    wanted = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in wanted and etag_for(current_version) not in wanted:
        raise PreconditionFailed(
            "the resource changed since you read it; read it again", etag=etag_for(current_version)
        )


IfMatch = Annotated[
    str | None,
    Header(
        description="The ETag read before this write: 428 without it, 412 if the resource "
        "changed since"
    ),
]
# What an If-Match write declares besides its success.
# An error answer in an operation's `responses`: `responses={404: PROBLEM}`.
PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
PRECONDITION_RESPONSES: dict[int | str, dict[str, Any]] = {
    412: {"content": {PROBLEM_JSON: {}}, "description": "The resource changed since read"},
    428: {"content": {PROBLEM_JSON: {}}, "description": "If-Match is missing"},
}
