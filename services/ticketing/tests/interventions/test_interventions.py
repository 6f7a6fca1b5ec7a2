"""Recording interventions: the on-site sheet copied from the ticket and frozen, the French
sheet with every field of the Rhône's, remote help only with consent, who sees what."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from typing import Any

import html5lib
import pytest
from pypdf import PdfReader
from sqlalchemy.exc import IntegrityError

from guichet_common.testing.html import check_strict_html

from ..conftest import TICKETS, Json, Kit, fields_named
from .conftest import (
    Visit,
    create_on_site,
    new_visit,
    on_site,
    refused,
    remote_body,
)

pytestmark = pytest.mark.integration

# The Rhône's fiche d'intervention, label by label, in its order.
SHEET_LABELS = (
    "Demandeur",
    "Tél.",
    "Utilisateur",
    "Tél.",
    "N° dossier",
    "Objet",
    "Typologie",
    "Localisation",
    "Modèle",
    "GPI",
    "Besoin matériel",
    "Notifiée le",
    "Prévue le",
    "Intervenant",
    "Description",
)


def sheet_rows(page: str) -> list[tuple[str, str]]:
    """The sheet's (label, value) pairs, in order, as a person reads the table."""
    document = html5lib.parse(page, namespaceHTMLElements=False)
    pairs = []
    for row in document.iter("tr"):
        cells = list(row)
        for label, value in zip(cells[::2], cells[1::2], strict=True):
            assert label.tag == "th" and value.tag == "td"
            pairs.append(("".join(label.itertext()), "".join(value.itertext())))
    return pairs


async def get_sheet(kit: Kit, visit: Visit, intervention_id: str, fmt: str = "html") -> Any:
    response = await kit.client.get(
        f"{visit.interventions}/{intervention_id}/sheet",
        params={"format": fmt},
        headers=kit.technician,
    )
    assert response.status_code == 200, response.text
    return response


# --- on site -------------------------------------------------------------------------------------


async def test_an_on_site_intervention_copies_the_sheet_from_the_ticket(
    kit: Kit, visit: Visit
) -> None:
    response = await create_on_site(kit, visit)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["ETag"] == '"1"'
    assert created["mode"] == "on_site" and created["mode_label"] == "Sur site"
    assert created["technician"] == visit.technician
    assert created["technician_name"] == "Théo Technicien"
    assert created["planned_for"] == "2026-12-01T13:00:00Z"
    assert created["signed"] is False and created["remote_session"] is None
    sheet = created["sheet"]
    assert sheet["requester_name"] == "Mme Claire Martin"
    assert sheet["requester_phone"] == "02 38 00 00 00"
    assert sheet["affected_name"] == "M. Paul Durand"
    assert sheet["affected_phone"] == "02 38 11 22 33"
    assert sheet["site_code"] == visit.site_code and sheet["site_name"] == "Collège Jean Zay"
    assert sheet["room_code"] == "B204"  # from the park, by the asset tag
    assert sheet["asset_tag"] == visit.asset_tag
    assert sheet["model"] == "Dell OptiPlex 7090"
    assert sheet["hardware_need"] == "Une alimentation 260 W"
    assert sheet["category_label"] == "Matériel"
    ticket = (await kit.client.get(f"{TICKETS}/{visit.reference}", headers=kit.technician)).json()
    assert sheet["notified_at"] == ticket["created_at"]
    read = await kit.client.get(f"{visit.interventions}/{created['id']}", headers=kit.technician)
    assert read.json() == created and read.headers["ETag"] == '"1"'
    listed = await kit.client.get(visit.interventions, headers=kit.technician)
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]
    history = await kit.client.get(f"{TICKETS}/{visit.reference}/history", headers=kit.supervisor)
    assert history.json()["items"][-1]["action"] == "intervention_added"


async def test_the_sheet_has_every_field_of_the_rhone_sheet(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    response = await get_sheet(kit, visit, created["id"])
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    page = response.text
    check_strict_html(page)
    assert '<html lang="fr">' in page and "Fiche d'intervention" in page
    rows = sheet_rows(page)
    assert tuple(label for label, _ in rows) == SHEET_LABELS
    values = dict(rows[4:])
    assert rows[:4] == [
        ("Demandeur", "Mme Claire Martin"),
        ("Tél.", "02 38 00 00 00"),
        ("Utilisateur", "M. Paul Durand"),
        ("Tél.", "02 38 11 22 33"),
    ]
    assert values["N° dossier"] == visit.reference
    assert values["Objet"] == "Le poste de la salle B204 ne démarre plus"
    assert values["Typologie"] == "Matériel"
    assert values["Localisation"] == "Collège Jean Zay, salle B204"
    assert values["Modèle"] == "Dell OptiPlex 7090"
    assert values["GPI"] == visit.asset_tag
    assert values["Besoin matériel"] == "Une alimentation 260 W"
    # In Paris time: 13:00 UTC is 14:00 in winter.
    assert values["Prévue le"] == "mardi 1 décembre 2026 à 14:00"
    assert re.fullmatch(r"\w+ \d{1,2} \w+ \d{4} à \d{2}:\d{2}", values["Notifiée le"])
    assert values["Intervenant"] == "Théo Technicien"
    assert values["Description"] == "Remplacer l'alimentation du poste et vérifier le démarrage."
    assert "Signature de l'utilisateur" in page


async def test_the_sheet_stays_as_it_was_when_the_ticket_changes(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    path = f"{TICKETS}/{visit.reference}"
    changed = await kit.client.patch(
        path,
        json={"title": "Autre objet", "hardware_need": "Rien"},
        headers={**kit.technician, "If-Match": await kit.etag(path)},
    )
    assert changed.status_code == 200, changed.text
    values = dict(sheet_rows((await get_sheet(kit, visit, created["id"])).text)[4:])
    assert values["Objet"] == "Le poste de la salle B204 ne démarre plus"
    assert values["Besoin matériel"] == "Une alimentation 260 W"


async def test_the_sheet_escapes_what_people_typed(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit, description='<script>alert("x")</script> & <b>')
    page = (await get_sheet(kit, visit, created["id"])).text
    check_strict_html(page)
    assert "<script>" not in page and "<b>" not in page
    assert dict(sheet_rows(page)[4:])["Description"] == '<script>alert("x")</script> & <b>'


async def test_the_sheet_prints_dashes_for_what_the_ticket_does_not_say(kit: Kit) -> None:
    site = await kit.site()
    ticket = await kit.create_ticket(site)  # no asset, no user, no hardware need
    visit = await new_visit(kit)
    bare = replace(visit, reference=ticket["reference"], site_code=site)
    created = await on_site(kit, bare, planned_for=None)
    values = dict(sheet_rows((await get_sheet(kit, bare, created["id"])).text))
    assert values["Utilisateur"] == values["Modèle"] == values["GPI"] == "—"
    assert values["Prévue le"] == values["Besoin matériel"] == "—"
    assert values["Localisation"] == "Collège Jean Zay"


async def test_the_unsigned_sheet_is_a_pdf_of_the_same_page(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    response = await get_sheet(kit, visit, created["id"], "pdf")
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "ETag" not in response.headers  # rendered as the intervention is now
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    for expected in ("Fiche d'intervention", visit.reference, "Besoin matériel", "GPI"):
        assert expected in text, expected


async def test_planned_on_site_intervention_is_announced_to_its_technician(
    kit: Kit, visit: Visit
) -> None:
    created = await on_site(kit, visit)
    [event] = [e for e in await kit.events(visit.reference) if e["type"].startswith("ticketing.in")]
    assert event["type"] == "ticketing.intervention.planned.v1"
    data = event["data"]
    assert data["intervention_id"] == created["id"]
    assert data["technician_email"] == visit.technician_email
    assert data["moved_from"] is None
    assert data["sheet_url"].startswith(
        f"http://ticketing.test/api/ticketing/intervention-sheets/{visit.reference}.pdf?token="
    )
    fetched = await kit.client.get(data["sheet_url"])  # no login: the link is the key
    assert fetched.status_code == 200 and fetched.content.startswith(b"%PDF-")
    # Not planned: nothing to announce.
    await on_site(kit, visit, planned_for=None)
    assert len([e for e in await kit.events(visit.reference) if "intervention" in e["type"]]) == 1


async def test_an_intervention_needs_an_active_technician_and_an_open_ticket(
    kit: Kit, visit: Visit
) -> None:
    response = await create_on_site(kit, visit, technician="nobody")
    refused(response, 422, "validation-error")
    assert fields_named(response) == ["technician"]
    response = await create_on_site(kit, visit, mode="by_pigeon")
    refused(response, 422, "validation-error")
    assert fields_named(response) == ["mode"]
    path = f"{TICKETS}/{visit.reference}"
    cancelled = await kit.client.post(
        f"{path}/transitions",
        json={"action": "cancel", "reason": "Doublon"},
        headers={**kit.technician, "If-Match": await kit.etag(path)},
    )
    assert cancelled.status_code == 200, cancelled.text
    refused(await create_on_site(kit, visit), 409, "ticket-closed")


async def test_a_retried_create_returns_the_first_answer(kit: Kit, visit: Visit) -> None:
    headers = {**kit.technician, "Idempotency-Key": "visit-1"}
    first = await create_on_site(kit, visit, headers=headers)
    again = await create_on_site(kit, visit, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and again.headers["ETag"] == first.headers["ETag"]
    listed = await kit.client.get(visit.interventions, headers=kit.technician)
    assert len(listed.json()["items"]) == 1


# --- remote ---------------------------------------------------------------------------------------


async def test_remote_help_is_refused_without_consent(kit: Kit, visit: Visit) -> None:
    body = remote_body(visit)
    del body["consent"]
    response = await kit.client.post(visit.interventions, json=body, headers=kit.technician)
    refused(response, 422, "validation-error")
    assert fields_named(response) == ["consent"]
    incomplete = remote_body(visit, consent={"given_by": "M. Paul Durand", "how": "phone"})
    response = await kit.client.post(visit.interventions, json=incomplete, headers=kit.technician)
    assert fields_named(response) == ["consent.given_at"]
    late = remote_body(
        visit,
        consent={
            "given_by": "M. Paul Durand",
            "given_at": "2026-12-01T10:05:00+01:00",
            "how": "chat",
        },
    )
    response = await kit.client.post(visit.interventions, json=late, headers=kit.technician)
    refused(response, 422, "validation-error")
    assert fields_named(response) == ["consent.given_at"]
    backwards = remote_body(visit, ended_at="2026-12-01T09:59:00+01:00")
    response = await kit.client.post(visit.interventions, json=backwards, headers=kit.technician)
    assert fields_named(response) == ["ended_at"]
    # Nothing was recorded, nor announced.
    assert (await kit.client.get(visit.interventions, headers=kit.technician)).json()["items"] == []
    assert not [e for e in await kit.events(visit.reference) if "intervention" in e["type"]]


async def test_a_remote_session_is_recorded_with_its_consent(kit: Kit, visit: Visit) -> None:
    response = await kit.client.post(
        visit.interventions, json=remote_body(visit), headers=kit.technician
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["mode"] == "remote" and created["sheet"] is None
    assert created["planned_for"] is None
    assert created["remote_session"] == {
        "consent": {
            "given_by": "M. Paul Durand",
            "given_at": "2026-12-01T08:58:00Z",
            "how": "phone",
            "how_label": "Par téléphone",
        },
        "session_id": "RD-2026-4711",
        "started_at": "2026-12-01T09:00:00Z",
        "ended_at": "2026-12-01T09:25:00Z",
        "clean_close": True,
        "user_confirmed_working": True,
    }
    [event] = [e for e in await kit.events(visit.reference) if "intervention" in e["type"]]
    assert event["type"] == "ticketing.intervention.remote_session_recorded.v1"
    assert event["data"]["consent_how_label"] == "Par téléphone"
    assert event["data"]["user_confirmed_working"] is True
    sheet = await kit.client.get(
        f"{visit.interventions}/{created['id']}/sheet", headers=kit.technician
    )
    refused(sheet, 409, "not-on-site")


async def test_remote_help_without_consent_cannot_be_stored(kit: Kit, visit: Visit) -> None:
    """The database refuses it too, whatever code writes it."""
    with pytest.raises(IntegrityError, match="ck_intervention_remote_with_consent"):
        await kit.scalar(
            "INSERT INTO ticketing.intervention (id, ticket_id, mode, technician,"
            " technician_name, technician_email, description, reference, title, category_label,"
            " site_code, site_name, requester_name, notified_at, session_id, started_at,"
            " ended_at, clean_close, user_confirmed_working, created_by)"
            " SELECT gen_random_uuid(), id, 'remote', :login, 'T', 't@x.fr', 'd', reference,"
            " title, category_label, site_code, site_name, requester_name, created_at, 's',"
            " now(), now(), true, true, 'me' FROM ticketing.ticket WHERE reference = :ref",
            login=visit.technician,
            ref=visit.reference,
        )


# --- who sees what -------------------------------------------------------------------------------


async def test_a_requester_of_another_school_sees_nothing(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    stranger = kit.requester(sub="other", email="other@ac-orleans-tours.fr", sites=["CLG-OTHER"])
    path = f"{visit.interventions}/{created['id']}"
    for url in (visit.interventions, path, f"{path}/sheet", f"{path}/sheet?format=pdf"):
        refused(await kit.client.get(url, headers=stranger), 404, "not-found")
    # The school's own contact reads them; only the helpdesk records them.
    local = kit.requester(sub="local", email="local@ac-orleans-tours.fr", sites=[visit.site_code])
    listed = await kit.client.get(visit.interventions, headers=local)
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]
    assert (await kit.client.get(f"{path}/sheet", headers=local)).status_code == 200
    refused(await create_on_site(kit, visit, headers=local), 403, "forbidden")


async def test_a_technician_limited_to_other_sites_sees_nothing(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    elsewhere = kit.token("technician", sites=["CLG-ELSEWHERE"])
    path = f"{visit.interventions}/{created['id']}"
    refused(await kit.client.get(path, headers=elsewhere), 404, "not-found")
    refused(await create_on_site(kit, visit, headers=elsewhere), 404, "not-found")


async def test_an_unknown_intervention_is_404(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    other: Json = await on_site(kit, await new_visit(kit))
    # An intervention of another ticket is not found under this one.
    response = await kit.client.get(f"{visit.interventions}/{other['id']}", headers=kit.technician)
    refused(response, 404, "not-found")
    assert created["id"] != other["id"]
