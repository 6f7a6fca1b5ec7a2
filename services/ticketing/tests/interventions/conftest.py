"""What the intervention tests share: a technician, a ticket whose sheet has every field
filled, the calls they make, signature images of every kind."""

from __future__ import annotations

import base64
import io
import secrets
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from ..conftest import TICKETS, Json, Kit

PROBLEM = "urn:guichet:problem:"
ADDRESS = "2 rue des Écoles, 45000 Orléans"  # the site's, from the park
PLANNED_FOR = "2026-12-01T14:00:00+01:00"  # a Tuesday afternoon in Paris


@dataclass(frozen=True)
class Visit:
    """A ticket ready for an intervention, and the technician to send."""

    reference: str
    site_code: str
    asset_tag: str
    technician: str  # login
    technician_name: str
    technician_email: str

    @property
    def interventions(self) -> str:
        return f"{TICKETS}/{self.reference}/interventions"


async def create_technician(kit: Kit, name: str = "Théo Technicien") -> Json:
    login = f"tech_{secrets.token_hex(4)}"
    response = await kit.client.post(
        "/api/ticketing/technicians",
        json={"login": login, "name": name, "email": f"{login}@loiret.fr", "phone": "0600000000"},
        headers=kit.supervisor,
    )
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


async def new_visit(kit: Kit, **ticket_fields: Any) -> Visit:
    """A ticket at a fresh site, on a PC of the park, naming an affected user and a
    hardware need; a fresh technician."""
    site = await kit.site(name="Collège Jean Zay", address=ADDRESS)
    asset_tag = await kit.host(site, room_code="B204", model="OptiPlex 7090")
    ticket = await kit.create_ticket(
        site,
        asset_tag=asset_tag,
        hardware_need="Une alimentation 260 W",
        affected_user={"name": "M. Paul Durand", "phone": "02 38 11 22 33"},
        **ticket_fields,
    )
    technician = await create_technician(kit)
    return Visit(
        reference=ticket["reference"],
        site_code=site,
        asset_tag=asset_tag,
        technician=technician["login"],
        technician_name=technician["name"],
        technician_email=technician["email"],
    )


@pytest.fixture
async def visit(kit: Kit) -> Visit:
    return await new_visit(kit)


async def create_on_site(
    kit: Kit, visit: Visit, headers: dict[str, str] | None = None, **fields: Any
) -> httpx.Response:
    body = {
        "mode": "on_site",
        "technician": visit.technician,
        "description": "Remplacer l'alimentation du poste et vérifier le démarrage.",
        "planned_for": PLANNED_FOR,
        **fields,
    }
    return await kit.client.post(visit.interventions, json=body, headers=headers or kit.technician)


async def on_site(kit: Kit, visit: Visit, **fields: Any) -> Json:
    response = await create_on_site(kit, visit, **fields)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


def remote_body(visit: Visit, **fields: Any) -> Json:
    return {
        "mode": "remote",
        "technician": visit.technician,
        "description": "Prise en main à distance : pilote d'imprimante réinstallé.",
        "consent": {
            "given_by": "M. Paul Durand",
            "given_at": "2026-12-01T09:58:00+01:00",
            "how": "phone",
        },
        "session_id": "RD-2026-4711",
        "started_at": "2026-12-01T10:00:00+01:00",
        "ended_at": "2026-12-01T10:25:00+01:00",
        "clean_close": True,
        "user_confirmed_working": True,
        **fields,
    }


async def sign(
    kit: Kit,
    visit: Visit,
    intervention_id: str,
    signature: str,
    *,
    etag: str | None = None,
    signer_name: str = "M. Paul Durand",
) -> httpx.Response:
    """The signature with the ETag just read (or `etag`), as a technician."""
    path = f"{visit.interventions}/{intervention_id}"
    if_match = etag if etag is not None else await kit.etag(path)
    return await kit.client.post(
        f"{path}/signature",
        json={"signer_name": signer_name, "signature": signature},
        headers={**kit.technician, "If-Match": if_match},
    )


def refused(response: httpx.Response, status: int, slug: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: Json = response.json()
    assert problem["type"] == PROBLEM + slug
    return problem


# --- images --------------------------------------------------------------------------------------


def png(width: int = 300, height: int = 120, *, comment: str | None = None) -> bytes:
    """A signature-like PNG: a dark stroke on a transparent background; `comment` adds a
    tEXt chunk."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    for x in range(width):
        image.putpixel((x, height // 2), (0, 0, 80, 255))
    info = PngInfo()
    if comment is not None:
        info.add_text("Comment", comment)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def noisy_png(width: int, height: int) -> bytes:
    """A PNG that does not compress: as many bytes as pixels hold."""
    image = Image.frombytes("RGBA", (width, height), secrets.token_bytes(width * height * 4))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 80), (255, 255, 255)).save(out, format="JPEG")
    return out.getvalue()


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A tiny, well-formed PNG declaring a huge grey image (3.6 gigapixels of zeros)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 16, 9)  # a few rows: the rest is claimed
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def data_url(content: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"
