"""What the lifecycle does with interventions: planning puts the visit on the technician's
agenda (moved, not doubled, when planned again), and a ticket does not close while an
on-site intervention sheet is unsigned, unless a supervisor writes why."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from ..conftest import TICKETS, Kit
from .conftest import Staff, act, current, done, history, refused, ticket_in

pytestmark = pytest.mark.integration


def signature() -> str:
    image = io.BytesIO()
    Image.new("L", (300, 120), 255).save(image, format="PNG")
    return "data:image/png;base64," + base64.b64encode(image.getvalue()).decode()


async def visits(kit: Kit, reference: str) -> list[dict[str, object]]:
    response = await kit.client.get(f"{TICKETS}/{reference}/interventions", headers=kit.technician)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def test_planning_puts_one_visit_on_the_agenda_and_moves_it(kit: Kit, staff: Staff) -> None:
    ticket = await ticket_in(kit, "planned", staff)
    reference = ticket["reference"]
    [visit] = await visits(kit, reference)
    assert visit["mode"] == "on_site" and visit["technician"] == staff.technician
    assert visit["planned_for"] == "2026-12-01T13:00:00Z"

    await done(kit, reference, "plan", staff, planned_for="2026-12-03T09:30:00+01:00")
    [moved] = await visits(kit, reference)
    assert moved["id"] == visit["id"] and moved["planned_for"] == "2026-12-03T08:30:00Z"
    planned = [e for e in await kit.events(reference) if e["type"].startswith("ticketing.int")]
    assert [e["data"]["moved_from"] for e in planned] == [None, "2026-12-01T13:00:00Z"]


async def test_an_unsigned_sheet_keeps_the_ticket_open(kit: Kit, staff: Staff) -> None:
    ticket = await ticket_in(kit, "planned", staff)
    reference = ticket["reference"]
    await done(kit, reference, "solve", staff)
    etag = (await current(kit, reference)).headers["ETag"]

    blocked = refused(await act(kit, reference, "close"), 409, "unsigned-intervention")
    assert len(blocked["interventions"]) == 1
    # A technician may not override; nothing changed either way.
    technician_override = await act(kit, reference, "close", override_reason="Pas de tablette")
    refused(technician_override, 403, "forbidden")
    assert (await current(kit, reference)).headers["ETag"] == etag

    closed = await act(
        kit,
        reference,
        "close",
        kit.supervisor,
        override_reason="Fiche papier signée, scannée en pièce jointe.",
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    entry = (await history(kit, reference))[-1]
    assert entry["action"] == "close"
    assert "Fiche papier signée, scannée en pièce jointe." in entry["reason"]


async def test_a_signed_sheet_lets_the_ticket_close(kit: Kit, staff: Staff) -> None:
    ticket = await ticket_in(kit, "planned", staff)
    reference = ticket["reference"]
    [visit] = await visits(kit, reference)
    path = f"{TICKETS}/{reference}/interventions/{visit['id']}"
    signed = await kit.client.post(
        f"{path}/signature",
        json={"signer_name": "M. Paul Durand", "signature": signature()},
        headers={**kit.technician, "If-Match": await kit.etag(path)},
    )
    assert signed.status_code == 200, signed.text
    await done(kit, reference, "solve", staff)
    assert (await done(kit, reference, "close", staff))["status"] == "closed"
