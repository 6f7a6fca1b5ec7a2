"""Every operation of every service enforces the access its OpenAPI document declares
(`security`: `person` with roles, `apiKey` with scopes), and the declarations follow the
rules of docs/ARCHITECTURE.md: a read key reads, a write key writes, an agent key reaches
only agent endpoints, and admin endpoints refuse every key."""

from __future__ import annotations

import pytest

from guichet.services import SERVICES
from guichet_common.identity import Role

from .conftest import ServiceApi
from .openapi_operations import Operation, operations

pytestmark = pytest.mark.integration

KEY_KINDS = ("read", "write", "agent")
READS = {"GET", "HEAD"}
# Endpoints for people only, though not for admins only: what is personal to the caller.
# What is personal to the caller: a teacher's own calendar feed, a technician's agenda.
PEOPLE_ONLY = {"GET /api/garage/calendar-link", "GET /api/ticketing/agenda-link"}
# POSTs that change nothing (they take a body a GET could not): a read key may call them.
SAFE_POSTS = {"POST /api/notifier/templates/{name}/preview"}


def declaration_faults(service: str, operation: Operation) -> list[str]:
    scopes, roles = operation.key_scopes, operation.roles
    if operation.public:
        return []
    if scopes is None:
        if roles != [Role.ADMIN] and str(operation) not in PEOPLE_ONLY:
            return ["closed to API keys, though neither admin-only nor personal"]
        return []
    faults = []
    if roles == [Role.ADMIN]:
        faults.append("an admin endpoint opened to API keys")
    if (
        operation.method in READS
        and f"{service}:read" not in scopes
        and scopes != [f"{service}:agent"]
    ):
        faults.append(f"a read that {service}:read does not open")
    if (
        operation.method not in READS
        and str(operation) not in SAFE_POSTS
        and f"{service}:read" in scopes
    ):
        faults.append(f"a write that {service}:read opens")
    if f"{service}:agent" in scopes and scopes != [f"{service}:agent"]:
        faults.append("an agent endpoint that other keys open too")
    return faults


def refused(status: int) -> bool:
    return status in (401, 403)


@pytest.mark.parametrize("service", [entry.name for entry in SERVICES])
async def test_every_operation_enforces_the_access_it_declares(
    service_apis: dict[str, ServiceApi], service: str
) -> None:
    api = service_apis[service]
    keys = {kind: await api.api_key(f"{service}:{kind}") for kind in KEY_KINDS}
    faults: list[str] = []
    secured = [op for op in operations(api.document) if not op.public]
    assert secured, "no secured operation: the sweep would prove nothing"
    for operation in secured:
        faults += [f"{operation}: {fault}" for fault in declaration_faults(service, operation)]
        for kind, headers in keys.items():
            opens = f"{service}:{kind}" in (operation.key_scopes or [])
            response = await api.client.request(operation.method, operation.url, headers=headers)
            if refused(response.status_code) == opens:
                faults.append(f"{operation}: a {kind} key got {response.status_code}")
            lists = operation.method in READS and "{" not in operation.path
            if opens and lists and response.status_code != 200:
                faults.append(f"{operation}: a {kind} key reads {response.status_code}")
        outsider = next(role for role in Role if role not in (operation.roles or []))
        response = await api.client.request(
            operation.method, operation.url, headers=api.token(outsider)
        )
        if response.status_code != 403:
            faults.append(f"{operation}: a {outsider} got {response.status_code}")
        response = await api.client.request(operation.method, operation.url)
        if response.status_code != 401:
            faults.append(f"{operation}: no credentials got {response.status_code}")
        for role in operation.roles or []:
            response = await api.client.request(
                operation.method, operation.url, headers=api.token(role)
            )
            if refused(response.status_code):
                faults.append(f"{operation}: a {role} got {response.status_code}")
    assert not faults, "\n".join(faults)
