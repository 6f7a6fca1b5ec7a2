"""Across services on the embedded default: a site registered in imaging becomes known to
ticketing once its event is consumed; a ticket opened there is assigned, its visit planned
(the technician is e-mailed the intervention sheet, the PDF the API serves), solved, and
closed once the user signed the sheet; the requester and the technician hear of it by
e-mail, in French."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from .running import Guichet, cli_token
from .test_garage_to_email import wait_for_mails

pytestmark = pytest.mark.integration

SITE = {
    "code": "ORL-VH",
    "name": "Collège Victor Hugo",
    "kind": "college",
    "department": "45",
    "zone": "B",
    "hostname_prefix": "ORLVH",
}
# A one-pixel white PNG: the user's signature as the tablet sends it.
SIGNATURE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEA"
    "sTj2FAAAAABJRU5ErkJggg=="
)
TICKET = {
    "title": "Vidéoprojecteur de la salle 104 en panne",
    "description": "Plus d'image depuis ce matin, la lampe clignote.",
    "type": "incident",
    "category": "projector",
    "urgency": 4,
    "impact": 3,
    "site_code": "ORL-VH",
    "requester": {"name": "Mme Claire Martin", "email": "claire.martin@example.fr"},
}


def test_a_ticket_from_a_new_site_to_its_closing_emails(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    guichet = Guichet(data_dir)
    try:
        supervisor = {"Authorization": f"Bearer {cli_token(data_dir, 'supervisor', 'chef')}"}
        api = f"{guichet.base}/api/ticketing"
        registered = httpx.post(
            f"{guichet.base}/api/imaging/sites", json=SITE, headers=supervisor, timeout=30
        )
        assert registered.status_code == 201, registered.text
        # Known to ticketing once imaging's event is consumed; until then, 422 on site_code.
        deadline = time.monotonic() + 30
        while (
            created := httpx.post(f"{api}/tickets", json=TICKET, headers=supervisor, timeout=30)
        ).status_code == 422:
            assert [e["field"] for e in created.json()["errors"]] == ["site_code"]
            assert time.monotonic() < deadline, "the site's event was never consumed"
            time.sleep(0.2)
        assert created.status_code == 201, created.text
        reference = created.json()["reference"]
        assert created.json()["priority"] == 4 and created.json()["site_name"] == SITE["name"]

        technician = {
            "login": "t.moreau",
            "name": "Thomas Moreau",
            "email": "t.moreau@example.fr",
        }
        made = httpx.post(f"{api}/technicians", json=technician, headers=supervisor, timeout=30)
        assert made.status_code == 201, made.text
        etag = created.headers["ETag"]

        def act(action: dict[str, str]) -> httpx.Response:
            nonlocal etag
            moved = httpx.post(
                f"{api}/tickets/{reference}/transitions",
                json=action,
                headers={**supervisor, "If-Match": etag},
                timeout=30,
            )
            if moved.status_code == 200:
                etag = moved.headers["ETag"]
            return moved

        for action in (
            {"action": "assign", "assignee": "t.moreau"},
            {"action": "plan", "planned_for": "2026-12-01T14:00:00+01:00"},
            {"action": "solve", "solution": "Lampe remplacée.", "resolution_code": "replaced"},
        ):
            assert act(action).status_code == 200, action
        # The visit's sheet is unsigned: the ticket does not close.
        blocked = act({"action": "close"})
        assert blocked.status_code == 409, blocked.text
        assert blocked.json()["type"] == "urn:guichet:problem:unsigned-intervention"
        [visit] = httpx.get(
            f"{api}/tickets/{reference}/interventions", headers=supervisor, timeout=30
        ).json()["items"]
        path = f"{api}/tickets/{reference}/interventions/{visit['id']}"
        read = httpx.get(path, headers=supervisor, timeout=30)
        signed = httpx.post(
            f"{path}/signature",
            json={"signer_name": "Mme Claire Martin", "signature": SIGNATURE},
            headers={**supervisor, "If-Match": read.headers["ETag"]},
            timeout=30,
        )
        assert signed.status_code == 200, signed.text
        closed = act({"action": "close"})
        assert closed.status_code == 200, closed.text
        assert closed.json()["status"] == "closed"

        mails = wait_for_mails(data_dir / "mail", 5)
        received = sorted((m["To"], m["Subject"]) for m in mails)
        assert [to for to, _ in received] == [
            "claire.martin@example.fr",
            "claire.martin@example.fr",
            "claire.martin@example.fr",
            "t.moreau@example.fr",
            "t.moreau@example.fr",
        ]
        assert all(reference in subject for _, subject in received)
        bodies = [m.get_body(preferencelist=("plain",)) for m in mails]
        assert any(b is not None and "Lampe remplacée." in b.get_content() for b in bodies)
        # The sheet e-mailed to the technician is the PDF the API renders for that visit.
        [sheet] = [part for m in mails for part in m.iter_attachments()]
        assert sheet.get_content_type() == "application/pdf"
        assert sheet.get_content().startswith(b"%PDF-")
    finally:
        assert guichet.stop() == 0
