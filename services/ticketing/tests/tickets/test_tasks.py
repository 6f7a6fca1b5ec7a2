"""`/api/ticketing/tickets/{reference}/tasks`: the checklist a category brings, steps done
(by whom, when) and undone, their duration, steps added at the end, If-Match on each step,
and the history of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ..conftest import TICKETS, Json, Kit
from .conftest import history, problem_type, race, set_status

pytestmark = pytest.mark.integration

REPLACEMENT_STEPS = [
    "Sauvegarder les données et les favoris du navigateur",
    "Récupérer la licence Office avant la réinstallation",
    "Installer le nouveau poste",
    "Transférer les fichiers de l'utilisateur",
    "Joindre le poste au domaine (nommé d'après son numéro d'inventaire)",
    "Installer les pilotes",
    "Installer l'imprimante",
]


async def replacement(kit: Kit) -> str:
    created = await kit.create_ticket(await kit.site(), category="workstation_replacement")
    reference: str = created["reference"]
    return reference


async def tasks(kit: Kit, reference: str, headers: dict[str, str] | None = None) -> list[Json]:
    listed = await kit.client.get(f"{TICKETS}/{reference}/tasks", headers=headers or kit.technician)
    assert listed.status_code == 200, listed.text
    items: list[Json] = listed.json()
    return items


async def patch_task(
    kit: Kit, reference: str, task: Json, body: Json, etag: str | None = None
) -> httpx.Response:
    """A PATCH of `task` with the ETag of its version as listed (or `etag`, "" for none)."""
    etag = f'"{task["version"]}"' if etag is None else etag
    extra = {"If-Match": etag} if etag else {}
    return await kit.client.patch(
        f"{TICKETS}/{reference}/tasks/{task['id']}",
        json=body,
        headers={**kit.technician, **extra},
    )


# --- the category's checklist ----------------------------------------------------------------


async def test_a_workstation_replacement_brings_its_seven_steps_in_order(kit: Kit) -> None:
    steps = await tasks(kit, await replacement(kit))
    assert [step["label"] for step in steps] == REPLACEMENT_STEPS
    assert [step["position"] for step in steps] == list(range(7))
    assert all(not step["done"] and step["done_by"] is None for step in steps)
    assert all(step["duration_minutes"] is None for step in steps)


async def test_a_category_without_a_checklist_brings_none(kit: Kit) -> None:
    created = await kit.create_ticket(await kit.site(), category="hardware")
    assert await tasks(kit, created["reference"]) == []


# --- done and undone -------------------------------------------------------------------------


async def test_a_step_done_says_by_whom_and_when_and_undone_clears_both(kit: Kit) -> None:
    reference = await replacement(kit)
    step = (await tasks(kit, reference))[2]
    started = datetime.now(UTC)

    done = await patch_task(kit, reference, step, {"done": True})

    assert done.status_code == 200, done.text
    assert done.json()["done"] is True and done.json()["done_by"] == "tech1"
    assert abs(datetime.fromisoformat(done.json()["done_at"]) - started) < timedelta(minutes=1)
    assert done.json()["version"] == step["version"] + 1
    assert done.headers["ETag"] == f'"{done.json()["version"]}"'
    assert (await tasks(kit, reference))[2] == done.json()

    undone = await patch_task(kit, reference, done.json(), {"done": False})

    assert undone.status_code == 200, undone.text
    assert undone.json()["done"] is False
    assert undone.json()["done_by"] is None and undone.json()["done_at"] is None
    entries = await history(kit, reference)
    assert [entry["action"] for entry in entries] == ["created", "task_done", "task_undone"]
    assert entries[1]["changes"]["task"][1] == "Installer le nouveau poste"
    assert (entries[1]["actor"], entries[1]["actor_name"]) == ("tech1", "Théo Technicien")


async def test_a_step_takes_a_duration(kit: Kit) -> None:
    reference = await replacement(kit)
    step = (await tasks(kit, reference))[0]
    response = await patch_task(kit, reference, step, {"duration_minutes": 45})
    assert response.status_code == 200, response.text
    assert response.json()["duration_minutes"] == 45
    assert response.json()["done"] is False


async def test_a_negative_duration_is_refused(kit: Kit) -> None:
    reference = await replacement(kit)
    step = (await tasks(kit, reference))[0]
    response = await patch_task(kit, reference, step, {"duration_minutes": -5})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "duration_minutes"


# --- If-Match --------------------------------------------------------------------------------


async def test_a_step_patched_without_if_match_is_428_and_unchanged(kit: Kit) -> None:
    reference = await replacement(kit)
    step = (await tasks(kit, reference))[0]
    response = await patch_task(kit, reference, step, {"done": True}, etag="")
    assert response.status_code == 428, response.text
    assert problem_type(response) == "precondition-required"
    assert (await tasks(kit, reference))[0] == step


async def test_a_stale_step_is_412_with_its_etag_and_unchanged(kit: Kit) -> None:
    reference = await replacement(kit)
    step = (await tasks(kit, reference))[0]
    timed = await patch_task(kit, reference, step, {"duration_minutes": 10})
    assert timed.status_code == 200, timed.text

    response = await patch_task(kit, reference, step, {"done": True})

    assert response.status_code == 412, response.text
    assert problem_type(response) == "precondition-failed"
    assert response.json()["etag"] == timed.headers["ETag"]
    assert (await tasks(kit, reference))[0] == timed.json()
    assert [entry["action"] for entry in await history(kit, reference)] == ["created"]


async def test_two_writers_of_one_step_version_one_wins_the_other_is_412(kit: Kit) -> None:
    reference = await replacement(kit)
    step = (await tasks(kit, reference))[0]
    responses = await race(
        kit,
        reference,
        patch_task(kit, reference, step, {"done": True}),
        patch_task(kit, reference, step, {"duration_minutes": 5}),
    )
    assert sorted(r.status_code for r in responses) == [200, 412], [r.text for r in responses]


# --- steps added -----------------------------------------------------------------------------


async def test_a_step_added_goes_to_the_end(kit: Kit) -> None:
    reference = await replacement(kit)
    added = await kit.client.post(
        f"{TICKETS}/{reference}/tasks",
        json={"label": "Récupérer l'ancien poste", "duration_minutes": 15},
        headers=kit.technician,
    )

    assert added.status_code == 201, added.text
    assert added.json()["position"] == 7 and added.json()["duration_minutes"] == 15
    assert added.headers["ETag"] == f'"{added.json()["version"]}"'
    steps = await tasks(kit, reference)
    assert [step["label"] for step in steps] == [*REPLACEMENT_STEPS, "Récupérer l'ancien poste"]
    entry = (await history(kit, reference))[-1]
    assert entry["action"] == "task_added"
    assert entry["changes"] == {"task": [None, "Récupérer l'ancien poste"]}


async def test_steps_added_at_once_take_distinct_positions(kit: Kit) -> None:
    created = await kit.create_ticket(await kit.site())
    path = f"{TICKETS}/{created['reference']}/tasks"
    added = await race(
        kit,
        created["reference"],
        *(
            kit.client.post(path, json={"label": f"Étape {n}"}, headers=kit.technician)
            for n in range(4)
        ),
    )
    assert [response.status_code for response in added] == [201] * 4
    assert sorted(step["position"] for step in await tasks(kit, created["reference"])) == [
        0,
        1,
        2,
        3,
    ]


# --- who, where, and a finished ticket -------------------------------------------------------


async def test_a_requester_reads_the_checklist_but_does_not_work_it(kit: Kit) -> None:
    created = await kit.create_ticket(
        await kit.site(), headers=kit.requester(), category="workstation_replacement"
    )
    reference = created["reference"]
    step = (await tasks(kit, reference, headers=kit.requester()))[0]
    added = await kit.client.post(
        f"{TICKETS}/{reference}/tasks", json={"label": "x"}, headers=kit.requester()
    )
    assert added.status_code == 403
    done = await kit.client.patch(
        f"{TICKETS}/{reference}/tasks/{step['id']}",
        json={"done": True},
        headers={**kit.requester(), "If-Match": f'"{step["version"]}"'},
    )
    assert done.status_code == 403


async def test_a_step_of_another_ticket_is_404(kit: Kit) -> None:
    step = (await tasks(kit, await replacement(kit)))[0]
    other = await replacement(kit)
    response = await patch_task(kit, other, step, {"done": True})
    assert response.status_code == 404, response.text
    missing = await patch_task(kit, other, {**step, "id": str(uuid.uuid4())}, {"done": True})
    assert missing.status_code == 404, missing.text


async def test_a_closed_tickets_checklist_no_longer_changes(kit: Kit) -> None:
    reference = await replacement(kit)
    step = (await tasks(kit, reference))[0]
    await set_status(kit, reference, "cancelled")

    done = await patch_task(kit, reference, step, {"done": True})
    added = await kit.client.post(
        f"{TICKETS}/{reference}/tasks", json={"label": "x"}, headers=kit.technician
    )

    assert (done.status_code, added.status_code) == (409, 409), (done.text, added.text)
    assert len(await tasks(kit, reference)) == 7
    assert (await tasks(kit, reference))[0] == step
