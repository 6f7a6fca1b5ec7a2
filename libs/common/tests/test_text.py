"""The two string types: what people type refuses a NUL, naming the field; what machines
send loses its NULs; and the OpenAPI document tells them apart."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from guichet_common.http import install_problem_handlers
from guichet_common.text import MachineText, Text


class Inventory(BaseModel):
    owner: Text = Field(max_length=50)
    serial: MachineText = Field(max_length=50)
    disks: list[MachineText] = []


@pytest.fixture
async def client() -> httpx.AsyncClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/inventory")
    async def take(body: Inventory) -> Inventory:
        return body

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_people_text_with_a_nul_is_refused_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/inventory", json={"owner": "Anne\x00", "serial": "S1"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == "owner" and "NUL" in error["message"]


async def test_machine_text_loses_its_nuls(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/inventory",
        json={"owner": "Anne", "serial": "PF2X\x00\x00\x00", "disks": ["\x00SSD 512"]},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"owner": "Anne", "serial": "PF2X", "disks": ["SSD 512"]}


def test_the_schema_marks_machine_text() -> None:
    properties = Inventory.model_json_schema()["properties"]
    assert properties["serial"]["x-nul"] == "stripped"
    assert properties["disks"]["items"]["x-nul"] == "stripped"
    assert "x-nul" not in properties["owner"]
