"""`PATCH /api/ticketing/tickets/{reference}` and its history: If-Match (428, 412, nothing
changed either way), each changed field recorded with its old and new value, who and when,
the priority recomputed unless set by hand, and who may edit or read the history."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import pytest

from ..conftest import TICKETS, Json, Kit, fields_named
from .conftest import history, patch, problem_type, race, read, refused_on, set_status

pytestmark = pytest.mark.integration


async def ticket(kit: Kit, **fields: Any) -> Json:
    return await kit.create_ticket(await kit.site(), **fields)


# --- If-Match --------------------------------------------------------------------------------


async def test_a_patch_without_if_match_is_428_and_changes_nothing(kit: Kit) -> None:
    created = await ticket(kit)
    response = await patch(kit, created["reference"], {"title": "Autre titre"}, etag="")

    assert response.status_code == 428, response.text
    assert problem_type(response) == "precondition-required"
    assert await read(kit, created["reference"]) == created
    assert [entry["action"] for entry in await history(kit, created["reference"])] == ["created"]


async def test_a_stale_patch_is_412_with_the_current_etag_and_changes_nothing(kit: Kit) -> None:
    created = await ticket(kit)
    reference = created["reference"]
    stale = await kit.etag(f"{TICKETS}/{reference}")
    assert (await patch(kit, reference, {"urgency": 5})).status_code == 200
    current = await read(kit, reference)

    response = await patch(kit, reference, {"title": "Autre titre"}, etag=stale)

    assert response.status_code == 412, response.text
    assert problem_type(response) == "precondition-failed"
    assert response.json()["etag"] == f'"{current["version"]}"' != stale
    assert await read(kit, reference) == current
    assert len(await history(kit, reference)) == 2


async def test_a_star_matches_any_version(kit: Kit) -> None:
    created = await ticket(kit)
    response = await patch(kit, created["reference"], {"impact": 4}, etag="*")
    assert response.status_code == 200, response.text


# --- what a patch changes, and the history ---------------------------------------------------


async def test_each_changed_field_is_in_the_history_with_who_and_when(kit: Kit) -> None:
    created = await ticket(kit, urgency=3, impact=2)
    reference = created["reference"]
    before = datetime.fromisoformat(created["updated_at"])

    response = await patch(
        kit,
        reference,
        {"title": "Plus aucun poste ne démarre", "urgency": 5, "room_code": "B204"},
        headers=kit.supervisor,
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["title"] == "Plus aucun poste ne démarre"
    assert updated["version"] == created["version"] + 1
    assert response.headers["ETag"] == f'"{updated["version"]}"'
    assert datetime.fromisoformat(updated["updated_at"]) > before
    created_entry, entry = await history(kit, reference)
    assert created_entry["action"] == "created"
    assert entry["action"] == "updated"
    assert (entry["actor"], entry["actor_name"]) == ("super1", "Sophie Superviseure")
    assert entry["changes"] == {
        "title": ["Le poste de la salle B204 ne démarre plus", "Plus aucun poste ne démarre"],
        "urgency": [3, 5],
        "priority": [2, 3],
        "room_code": [None, "B204"],
    }
    at = datetime.fromisoformat(entry["at"])
    assert abs(at - datetime.fromisoformat(updated["updated_at"])) < timedelta(minutes=1)


async def test_a_person_is_recorded_as_a_whole(kit: Kit) -> None:
    created = await ticket(kit)
    new_requester = {"name": "M. Paul Durand", "email": "paul.durand@ac-orleans-tours.fr"}
    response = await patch(kit, created["reference"], {"requester": new_requester})

    assert response.status_code == 200, response.text
    assert response.json()["requester"] == {**new_requester, "phone": None}
    entry = (await history(kit, created["reference"]))[-1]
    assert entry["changes"] == {
        "requester": [
            ["Mme Claire Martin", "claire.martin@ac-orleans-tours.fr", "02 38 00 00 00"],
            ["M. Paul Durand", "paul.durand@ac-orleans-tours.fr", None],
        ]
    }


async def test_a_patch_that_changes_nothing_writes_nothing(kit: Kit) -> None:
    created = await ticket(kit)
    same = {
        "title": created["title"],
        "urgency": created["urgency"],
        "requester": created["requester"],
    }
    response = await patch(kit, created["reference"], same)

    assert response.status_code == 200, response.text
    assert response.json()["version"] == created["version"]
    assert response.headers["ETag"] == f'"{created["version"]}"'
    assert await read(kit, created["reference"]) == created
    assert len(await history(kit, created["reference"])) == 1


async def test_a_null_for_a_required_field_is_refused_on_it(kit: Kit) -> None:
    created = await ticket(kit)
    refused_on(await patch(kit, created["reference"], {"title": None}), "title")


async def test_a_nul_in_a_patched_field_is_refused_on_it(kit: Kit) -> None:
    created = await ticket(kit)
    refused_on(await patch(kit, created["reference"], {"description": "a\x00b"}), "description")


async def test_a_new_category_checks_its_own_fields(kit: Kit) -> None:
    created = await ticket(kit)
    reference = created["reference"]
    refused_on(
        await patch(kit, reference, {"category": "account"}), "category_fields.class_or_sector"
    )
    answers = {"class_or_sector": "CDI", "failing_services": ["ENT"]}

    response = await patch(kit, reference, {"category": "account", "category_fields": answers})

    assert response.status_code == 200, response.text
    assert response.json()["category_label"] == "Compte et identifiants"
    assert (await history(kit, reference))[-1]["changes"] == {
        "category": ["hardware", "account"],
        "category_fields": [{}, answers],
    }


async def test_a_known_asset_tag_fills_the_host_and_its_room(kit: Kit) -> None:
    site = await kit.site()
    tag = await kit.host(site, room_code="B204", hostname="CLGJZ-B204-02")
    created = await kit.create_ticket(site, room_code="B12")
    response = await patch(kit, created["reference"], {"asset_tag": tag})
    assert response.status_code == 200, response.text
    assert response.json()["hostname"] == "CLGJZ-B204-02"
    assert response.json()["asset_known"] is True
    assert response.json()["room_code"] == "B204"
    assert (await history(kit, created["reference"]))[-1]["changes"] == {
        "asset_tag": [None, tag],
        "room_code": ["B12", "B204"],
    }


async def test_a_room_sent_with_the_asset_tag_is_kept(kit: Kit) -> None:
    site = await kit.site()
    tag = await kit.host(site, room_code="B204")
    created = await kit.create_ticket(site, room_code="B12")
    response = await patch(kit, created["reference"], {"asset_tag": tag, "room_code": "CDI"})
    assert response.status_code == 200, response.text
    assert response.json()["room_code"] == "CDI"


async def test_an_unknown_asset_tag_keeps_the_room_and_is_flagged(kit: Kit) -> None:
    created = await kit.create_ticket(await kit.site(), room_code="B12")
    response = await patch(kit, created["reference"], {"asset_tag": "45-inconnu"})
    assert response.status_code == 200, response.text
    assert (response.json()["asset_known"], response.json()["room_code"]) == (False, "B12")


async def test_a_closed_ticket_no_longer_changes(kit: Kit) -> None:
    created = await ticket(kit)
    await set_status(kit, created["reference"], "closed")
    response = await patch(kit, created["reference"], {"title": "Autre titre"})
    assert response.status_code == 409, response.text
    assert problem_type(response) == "conflict"
    assert (await read(kit, created["reference"]))["title"] == created["title"]


async def test_two_patches_of_the_same_version_one_wins_the_other_is_412(kit: Kit) -> None:
    created = await ticket(kit)
    reference = created["reference"]
    etag = await kit.etag(f"{TICKETS}/{reference}")

    responses = await race(
        kit,
        reference,
        *(patch(kit, reference, {"title": f"Titre {n}"}, etag=etag) for n in range(2)),
    )

    assert sorted(r.status_code for r in responses) == [200, 412], [r.text for r in responses]
    assert len(await history(kit, reference)) == 2


# --- the priority ----------------------------------------------------------------------------


async def test_a_new_urgency_recomputes_the_priority(kit: Kit) -> None:
    created = await ticket(kit, urgency=3, impact=2)
    response = await patch(kit, created["reference"], {"urgency": 5, "impact": 5})
    assert response.status_code == 200, response.text
    assert response.json()["priority"] == 5 and response.json()["priority_manual"] is False


async def test_a_priority_set_by_hand_stays_until_returned_to_the_matrix(kit: Kit) -> None:
    created = await ticket(kit, urgency=3, impact=2)
    reference = created["reference"]

    manual = await patch(kit, reference, {"priority": 6})
    assert manual.status_code == 200, manual.text
    assert (manual.json()["priority"], manual.json()["priority_manual"]) == (6, True)
    kept = await patch(kit, reference, {"urgency": 1})
    assert kept.json()["priority"] == 6

    back = await patch(kit, reference, {"priority": None})
    assert back.status_code == 200, back.text
    assert (back.json()["priority"], back.json()["priority_manual"]) == (1, False)
    assert (await history(kit, reference))[-1]["changes"] == {
        "priority": [6, 1],
        "priority_manual": [True, False],
    }


async def test_setting_by_hand_the_matrixs_own_value_is_recorded(kit: Kit) -> None:
    created = await ticket(kit, urgency=3, impact=2)
    reference = created["reference"]
    response = await patch(kit, reference, {"priority": created["priority"]})

    assert response.status_code == 200, response.text
    assert response.json()["priority_manual"] is True
    assert response.json()["version"] == created["version"] + 1
    assert (await history(kit, reference))[-1]["changes"] == {"priority_manual": [False, True]}
    # By hand now: the urgency no longer moves it.
    raised = await patch(kit, reference, {"urgency": 5})
    assert raised.json()["priority"] == created["priority"]


async def test_a_priority_above_6_is_refused(kit: Kit) -> None:
    created = await ticket(kit)
    response = await patch(kit, created["reference"], {"priority": 7})
    assert response.status_code == 422 and fields_named(response) == ["priority"]


# --- who may edit and read the history -------------------------------------------------------


async def test_a_requester_may_not_edit_even_their_own_ticket(kit: Kit) -> None:
    created = await kit.create_ticket(await kit.site(), headers=kit.requester())
    response = await patch(
        kit, created["reference"], {"title": "Autre titre"}, headers=kit.requester()
    )
    assert response.status_code == 403, response.text
    assert (await read(kit, created["reference"]))["title"] == created["title"]


async def test_the_history_is_the_helpdesks_only(kit: Kit) -> None:
    created = await kit.create_ticket(await kit.site(), headers=kit.requester())
    path = f"{TICKETS}/{created['reference']}/history"
    assert (await kit.client.get(path, headers=kit.requester())).status_code == 403
    assert (await kit.client.get(path, headers=kit.supervisor)).status_code == 200


async def test_staff_edit_only_the_tickets_of_their_sites(kit: Kit) -> None:
    created = await ticket(kit)
    elsewhere = kit.token("technician", sub="tech2", sites=[f"CLG-{secrets.token_hex(3)}"])
    response = await patch(kit, created["reference"], {"title": "Autre titre"}, headers=elsewhere)
    assert response.status_code == 404, response.text
    history_path = f"{TICKETS}/{created['reference']}/history"
    assert (await kit.client.get(history_path, headers=elsewhere)).status_code == 404


async def test_an_unknown_ticket_is_404(kit: Kit) -> None:
    response = await patch(kit, "INC-1999-000001", {"title": "x"}, etag='"1"')
    assert response.status_code == 404 and problem_type(response) == "not-found"
