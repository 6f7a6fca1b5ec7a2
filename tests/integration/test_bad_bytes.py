"""A NUL character (which PostgreSQL cannot store) in any string of any request of any
service: refused with a 422 naming the field, or, where the OpenAPI document marks the
field as machine text (`x-nul: stripped`), removed. Generated from the documents: a
field added tomorrow is swept tomorrow."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest

from guichet.services import SERVICES

from .conftest import ServiceApi
from .openapi_operations import (
    FieldPath,
    Json,
    Operation,
    alternatives,
    body_with,
    operations,
    resolve,
)
from .openapi_operations import string_fields as body_strings

pytestmark = pytest.mark.integration

WITH_NUL = "a\x00b"


def dotted(path: FieldPath) -> str:
    return ".".join(str(part) for part in path)


def stripped(document: Json, schema: Json, path: FieldPath) -> bool:
    """Whether the field at `path` is machine text, its NULs removed."""
    found = [schema]
    for part in path:
        found = [
            s["items"] if isinstance(part, int) else s["properties"][part]
            for s in alternatives(document, found)
            if ("items" if isinstance(part, int) else part) in s.get("properties", s)
        ]
    return any(s.get("x-nul") == "stripped" for s in alternatives(document, found))


def string_parameters(operation: Operation) -> Iterator[Json]:
    for parameter in operation.spec.get("parameters", []):
        schema = resolve(operation.document, parameter.get("schema", {}))
        kinds = {s.get("type") for s in alternatives(operation.document, [schema])}
        if parameter["in"] in ("path", "query") and "string" in kinds:
            yield parameter


def named(response_json: Json, field: str) -> bool:
    return any(
        error["field"] == field or error["field"].startswith(f"{field}.")
        for error in response_json.get("errors", [])
    )


@pytest.mark.parametrize("service", [entry.name for entry in SERVICES])
async def test_a_nul_in_any_string_is_refused_naming_the_field_or_stripped(
    service_apis: dict[str, ServiceApi], service: str
) -> None:
    api = service_apis[service]
    faults: list[str] = []
    swept = 0
    for operation in operations(api.document):
        schema = operation.body_schema
        for path in body_strings(api.document, schema) if schema else ():
            if "key" in path:  # an object's free keys: not a field
                continue
            swept += 1
            response = await api.client.request(
                operation.method,
                operation.url,
                json=body_with(path, WITH_NUL),
                headers=api.admin,
            )
            assert schema is not None
            if stripped(api.document, schema, path):
                if response.status_code >= 500 or named(response.json(), dotted(path)):
                    faults.append(f"{operation} {dotted(path)}: {response.status_code}")
            elif response.status_code != 422 or not named(response.json(), dotted(path)):
                faults.append(f"{operation} {dotted(path)}: {response.status_code}")
        for parameter in string_parameters(operation):
            swept += 1
            response = await api.client.request(
                operation.method,
                operation.url_with({parameter["name"]: quote(WITH_NUL)}),
                headers=api.admin,
            )
            if response.status_code != 422 or not named(response.json(), parameter["name"]):
                faults.append(
                    f"{operation} {parameter['in']} {parameter['name']}: {response.status_code}"
                )
    assert swept, "no string to sweep"
    assert not faults, "\n".join(faults)
