"""The operations of an OpenAPI document, as the sweeps need them: a callable path, who
they declare may call, and the string fields of their JSON request body."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]
FieldPath = tuple[str | int, ...]  # keys and list indexes from the body's root


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the template, `/api/garage/requests/{number}`
    spec: Json
    document: Json

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def url(self) -> str:
        return self.url_with({})

    def url_with(self, values: dict[str, str]) -> str:
        """The path with `values` (already URL-encoded) in their parameters, and a value of
        the right type in the other path parameters (naming nothing that exists) and
        required query parameters."""
        path, query = self.path, []
        for parameter in self.spec.get("parameters", []):
            name = parameter["name"]
            value = values.get(name) or _sample(resolve(self.document, parameter.get("schema", {})))
            if parameter["in"] == "path":
                path = path.replace("{" + name + "}", str(value))
            elif parameter["in"] == "query" and (parameter.get("required") or name in values):
                query.append(f"{name}={value}")
        return path + ("?" + "&".join(query) if query else "")

    def _declared(self, scheme: str) -> list[str] | None:
        for requirement in self.spec.get("security", []):
            if scheme in requirement:
                return list(requirement[scheme])
        return None

    @property
    def public(self) -> bool:
        return not self.spec.get("security")

    @property
    def roles(self) -> list[str] | None:
        """The roles of the people who may call; None: no person may."""
        return self._declared("person")

    @property
    def key_scopes(self) -> list[str] | None:
        """The API-key scopes that open it; None: no key does."""
        return self._declared("apiKey")

    @property
    def body_schema(self) -> Json | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            return None
        return resolve(self.document, content["application/json"]["schema"])


def operations(document: Json) -> Iterator[Operation]:
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            yield Operation(method.upper(), path, spec, document)


def resolve(document: Json, schema: Json) -> Json:
    while "$ref" in schema:
        *_, name = schema["$ref"].split("/")
        schema = document["components"]["schemas"][name]
    return schema


def _sample(schema: Json) -> Any:
    if schema.get("format") == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    if schema.get("type") == "integer":
        return 1
    return "x"


def alternatives(document: Json, schemas: list[Json]) -> list[Json]:
    """The schemas a value may match: `anyOf`/`oneOf` opened, references resolved."""
    found = []
    for schema in (resolve(document, s) for s in schemas):
        choices: list[Json] = schema.get("anyOf") or schema.get("oneOf") or [schema]
        found += [resolve(document, choice) for choice in choices]
    return found


def string_fields(document: Json, schema: Json, at: FieldPath = ()) -> Iterator[FieldPath]:
    """Where a string can stand in a body of `schema`: each property, list item and
    nullable or alternative type that is a string, nested objects included."""
    for alternative in alternatives(document, [schema]):
        kind = alternative.get("type")
        if kind == "string":
            yield at
        elif kind == "object" or "properties" in alternative:
            for name, child in alternative.get("properties", {}).items():
                yield from string_fields(document, child, (*at, name))
            extra = alternative.get("additionalProperties")
            if isinstance(extra, dict):
                yield from string_fields(document, extra, (*at, "key"))
        elif kind == "array":
            yield from string_fields(document, alternative.get("items", {}), (*at, 0))


def body_with(path: FieldPath, value: Any) -> Any:
    """A body holding `value` at `path` and nothing else."""
    if not path:
        return value
    head, *rest = path
    inner = body_with(tuple(rest), value)
    return [inner] if isinstance(head, int) else {head: inner}
