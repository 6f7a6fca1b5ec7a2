"""What the inventory tests share: a site of their own with an agent key, hosts registered
through the API, the agents' documents (hand-written from the GLPI format, their serials
and MACs made unique: the database is shared by the tests of a run), and the way a GLPI
agent sends them (compressed, `GLPI-Agent-ID`, the key as the HTTP Basic password)."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import secrets
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
INVENTORY = "/api/imaging/hosts/inventory"
HOSTS = "/api/imaging/hosts"
SITES = "/api/imaging/sites"
REFERENCES = "/api/imaging/software-references"

Json = dict[str, Any]
Compression = Literal["zlib", "gzip", "none"]
CONTENT_TYPES = {
    "zlib": "application/x-compress-zlib",
    "gzip": "application/x-compress-gzip",
    "none": "application/json",
}


def new_mac() -> str:
    """A locally administered MAC no other test uses, as agents write it: `02:3f:…`."""
    return "02:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(5))


def new_serial() -> str:
    return "T" + secrets.token_hex(5).upper()


def new_tag() -> str:
    return "GPI-" + secrets.token_hex(4).upper()


def new_hostname() -> str:
    return "PC-" + secrets.token_hex(4).upper()


def new_site_code() -> str:
    return "INV-" + secrets.token_hex(3).upper()


def fixture(name: str) -> Json:
    """A document of `fixtures/`, with a `deviceid` of its own (each agent has one)."""
    document: Json = json.loads((FIXTURES / f"{name}.json").read_text())
    document["deviceid"] = f"{new_hostname()}-2026-10-05-08-12-44"
    return document


def dell(serial: str, mac: str) -> Json:
    """The Dell OptiPlex 7090 under Windows 11 (4 GB, a 512 GB NVMe disk, 7-Zip 23.01,
    Firefox ESR 128.3.1, VLC 3.0.20, a USB key plugged in, a virtual Wi-Fi Direct NIC)."""
    document = fixture("dell-optiplex-7090-windows11")
    bios = document["content"]["bios"]
    bios["ssn"], bios["msn"] = serial, f"/{serial}/CNFCW0016A00PJ/"
    networks = document["content"]["networks"]
    networks[0]["mac"], networks[1]["mac"] = mac, new_mac()
    return document


def lenovo(serial: str, wifi: str, dock: str) -> Json:
    """The Lenovo ThinkPad L14 (Windows 11 Éducation) on a USB-C dock whose Ethernet
    adapter reports the dock's MAC; its asset tag is the firmware's placeholder."""
    document = fixture("lenovo-thinkpad-l14-dock")
    document["content"]["bios"]["ssn"] = serial
    networks = document["content"]["networks"]
    networks[0]["mac"], networks[1]["mac"], networks[2]["mac"] = wifi, dock, new_mac()
    networks[3]["mac"] = new_mac()
    return document


def without_identity(document: Json) -> Json:
    """The document with firmware placeholders for serials and no asset tag."""
    changed = copy.deepcopy(document)
    bios = changed["content"]["bios"]
    bios["ssn"], bios["msn"], bios["assettag"] = "To be filled by O.E.M.", "Default string", ""
    return changed


def basic(key: str, user: str = "glpi-agent") -> dict[str, str]:
    """HTTP Basic as a GLPI agent sends it: its configured user, the key as password."""
    token = base64.b64encode(f"{user}:{key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def encode(document: Json | bytes, compression: Compression) -> bytes:
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    if compression == "zlib":
        return zlib.compress(raw)
    if compression == "gzip":
        return gzip.compress(raw)
    return raw


@dataclass
class Reporter:
    """A site with its room, an agent key limited to it, and the calls agents and
    technicians make."""

    kit: Any
    site: str
    key: str
    agent_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    async def register(
        self,
        *,
        serial: str | None = None,
        macs: list[str] | None = None,
        asset_tag: str | None = None,
        site: str | None = None,
        **fields: Any,
    ) -> Json:
        body = {
            "site_code": site or self.site,
            "room_code": "A017",
            "asset_tag": asset_tag or new_tag(),
            "hostname": new_hostname(),
            "macs": macs or [],
            "serial": serial,
            "network": "admin",
            **fields,
        }
        if site is not None:
            body.pop("room_code")
        response = await self.kit.client.post(HOSTS, json=body, headers=self.kit.technician)
        assert response.status_code == 201, response.text
        host: Json = response.json()
        return host

    async def send(
        self,
        document: Json | bytes,
        *,
        key: str | None = None,
        compression: Compression = "zlib",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST as a GLPI agent: compressed, its id, the key as the Basic password."""
        response: httpx.Response = await self.kit.client.post(
            INVENTORY,
            content=encode(document, compression),
            headers={
                "Content-Type": CONTENT_TYPES[compression],
                "GLPI-Agent-ID": self.agent_id,
                "Pragma": "no-cache",
                **basic(key or self.key),
                **(headers or {}),
            },
        )
        return response

    async def report(self, document: Json) -> None:
        response = await self.send(document)
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ok", "expiration": 24}

    async def history(self, asset_tag: str, **params: Any) -> Json:
        response = await self.kit.client.get(
            f"{HOSTS}/{asset_tag}/inventories", params=params, headers=self.kit.technician
        )
        assert response.status_code == 200, response.text
        found: Json = response.json()
        return found

    async def inventory_events(self, asset_tag: str) -> list[Json]:
        return [
            e
            for e in await self.kit.events(asset_tag)
            if e["type"] == "imaging.host.inventory_reported.v1"
        ]


@pytest.fixture
async def reporter(kit: Any) -> Reporter:
    code = new_site_code()
    created = await kit.client.post(
        SITES,
        json={"code": code, "name": "Collège Maurice Barrès", "zone": "B"},
        headers=kit.supervisor,
    )
    assert created.status_code == 201, created.text
    room = await kit.client.post(
        f"{SITES}/{code}/rooms",
        json={"code": "A017", "name": "Secrétariat"},
        headers=kit.supervisor,
    )
    assert room.status_code == 201, room.text
    return Reporter(kit, code, await kit.api_key("imaging:agent", sites=[code]))
