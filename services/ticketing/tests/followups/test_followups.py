"""`/api/ticketing/tickets/{reference}/followups`: the thread. Who posts what (a requester:
public only), who reads what (a requester: public only), what a public followup changes
(version, search, history, event) and what a private one leaves alone, closed tickets,
idempotent retries."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from ..conftest import TICKETS, Kit, fields_named

pytestmark = pytest.mark.integration

Json = dict[str, Any]
PROBLEM = "urn:guichet:problem:"
FOLLOWUP_ADDED = "ticketing.ticket.followup_added.v1"


def followups(reference: str) -> str:
    return f"{TICKETS}/{reference}/followups"


async def post(
    kit: Kit, reference: str, content: str, *, public: bool = True, headers: Any = None
) -> Json:
    response = await kit.client.post(
        followups(reference),
        json={"content": content, "public": public},
        headers=headers or kit.technician,
    )
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


async def set_status(kit: Kit, reference: str, status: str) -> None:
    """Until the lifecycle's transitions exist: the status written as they would."""
    async with kit.engine.begin() as conn:
        await conn.execute(
            text("UPDATE ticketing.ticket SET status = :s WHERE reference = :r"),
            {"s": status, "r": reference},
        )


async def found(kit: Kit, reference: str, words: str) -> bool:
    result = await kit.scalar(
        "SELECT (search || followup_search) @@ websearch_to_tsquery('french', :w) "
        "FROM ticketing.ticket WHERE reference = :r",
        r=reference,
        w=words,
    )
    return bool(result)


async def history_actions(kit: Kit, reference: str) -> list[Json]:
    response = await kit.client.get(f"{TICKETS}/{reference}/history", headers=kit.supervisor)
    assert response.status_code == 200, response.text
    items: list[Json] = response.json()["items"]
    return items


# --- a public followup -------------------------------------------------------------------------


async def test_a_public_followup_changes_the_ticket_is_searched_and_announced(kit: Kit) -> None:
    ticket = await kit.create_ticket(await kit.site())
    reference = ticket["reference"]
    assert not await found(kit, reference, "videoprojecteur")

    response = await kit.client.post(
        followups(reference),
        json={"content": "  Le vidéoprojecteur de la salle B204 a été remplacé.  "},
        headers=kit.technician,
    )

    assert response.status_code == 201, response.text
    followup = response.json()
    assert followup["public"] is True
    assert followup["content"] == "Le vidéoprojecteur de la salle B204 a été remplacé."
    assert (followup["author"], followup["author_name"]) == ("tech1", "Théo Technicien")
    assert "ETag" not in response.headers  # a followup is never edited
    # Found by its words, accents folded, in the ticket's full-text document.
    assert await found(kit, reference, "videoprojecteur")
    assert await found(kit, reference, "remplace")
    # The ticket changed: GLPI's date_mod, and so its version (the ETag).
    after = (await kit.client.get(f"{TICKETS}/{reference}", headers=kit.technician)).json()
    assert after["version"] == ticket["version"] + 1
    assert after["updated_at"] > ticket["updated_at"]
    assert [e["type"] for e in await kit.events(reference)] == [
        "ticketing.ticket.created.v1",
        FOLLOWUP_ADDED,
    ]
    event = (await kit.events(reference))[-1]["data"]
    assert event["followup_id"] == followup["id"]
    assert event["content"] == followup["content"]
    assert event["author_name"] == "Théo Technicien"
    assert event["reference"] == reference and event["version"] == after["version"]
    assert event["actor"] == "tech1"
    assert event["added_at"].startswith(followup["created_at"][:19])
    [entry] = [e for e in await history_actions(kit, reference) if e["action"] != "created"]
    assert entry["action"] == "followup_added"
    assert entry["changes"] == {"followup": [None, followup["id"]], "public": [None, True]}


async def test_each_public_followup_is_appended_to_the_search_document(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    await post(kit, reference, "Imprimante bloquée au deuxième étage.")
    await post(kit, reference, "Le câble réseau était débranché.")

    assert await found(kit, reference, "imprimante")
    assert await found(kit, reference, "cable reseau")
    assert await found(kit, reference, "etage")  # queries are folded too


async def test_an_if_match_writer_holding_the_etag_read_before_a_followup_gets_412(
    kit: Kit,
) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    path = f"{TICKETS}/{reference}"
    etag = await kit.etag(path)
    await post(kit, reference, "Rappel de l'utilisatrice : toujours en panne.")

    stale = await kit.client.patch(
        path, json={"urgency": 4}, headers={**kit.technician, "If-Match": etag}
    )

    assert stale.status_code == 412, stale.text
    assert stale.json()["type"] == PROBLEM + "precondition-failed"
    assert stale.json()["etag"] == await kit.etag(path) != etag


async def test_public_followups_posted_at_once_all_land(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]

    posted = await asyncio.gather(
        *(
            kit.client.post(
                followups(reference), json={"content": f"Relance {n}"}, headers=kit.technician
            )
            for n in range(4)
        )
    )

    assert [r.status_code for r in posted] == [201] * 4
    assert (await kit.event_types(reference)).count(FOLLOWUP_ADDED) == 4
    ticket = (await kit.client.get(f"{TICKETS}/{reference}", headers=kit.technician)).json()
    assert ticket["version"] == 5


# --- a private followup ------------------------------------------------------------------------


async def test_a_private_followup_is_neither_announced_searched_nor_a_change_of_the_ticket(
    kit: Kit,
) -> None:
    ticket = await kit.create_ticket(await kit.site())
    reference = ticket["reference"]

    followup = await post(
        kit, reference, "Note interne : fournisseur relancé, garantie", public=False
    )

    assert followup["public"] is False
    assert await kit.event_types(reference) == ["ticketing.ticket.created.v1"]
    assert not await found(kit, reference, "fournisseur")
    after = (await kit.client.get(f"{TICKETS}/{reference}", headers=kit.technician)).json()
    assert (after["version"], after["updated_at"]) == (ticket["version"], ticket["updated_at"])
    # The helpdesk's history still says a note was added.
    [entry] = [e for e in await history_actions(kit, reference) if e["action"] != "created"]
    assert entry["changes"] == {"followup": [None, followup["id"]], "public": [None, False]}


async def test_a_supervisor_posts_private_notes_too(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    followup = await post(kit, reference, "À escalader.", public=False, headers=kit.supervisor)
    assert (followup["public"], followup["author"]) == (False, "super1")


# --- requesters --------------------------------------------------------------------------------


async def test_a_requester_posts_public_followups_on_their_ticket_only(kit: Kit) -> None:
    requester = kit.requester()
    reference = (await kit.create_ticket(await kit.site(), headers=requester))["reference"]

    mine = await post(kit, reference, "Toujours en panne ce matin.", headers=requester)
    assert (mine["public"], mine["author"]) == (True, "req1")
    assert FOLLOWUP_ADDED in await kit.event_types(reference)

    private = await kit.client.post(
        followups(reference),
        json={"content": "Ceci est privé ?", "public": False},
        headers=requester,
    )
    assert private.status_code == 422, private.text
    assert private.json()["type"] == PROBLEM + "validation-error"
    assert fields_named(private) == ["public"]

    stranger = kit.requester(sub="req-stranger", email="stranger@ac-orleans-tours.fr")
    refused = await kit.client.post(
        followups(reference), json={"content": "Je m'invite"}, headers=stranger
    )
    assert refused.status_code == 404, refused.text
    assert refused.json()["type"] == PROBLEM + "not-found"
    listed = await kit.client.get(followups(reference), headers=stranger)
    assert listed.status_code == 404, listed.text
    # Nothing was written by the refused ones.
    staff_view = (await kit.client.get(followups(reference), headers=kit.technician)).json()
    assert [f["content"] for f in staff_view["items"]] == ["Toujours en panne ce matin."]


async def test_a_requester_reads_the_public_followups_only_oldest_first(kit: Kit) -> None:
    requester = kit.requester()
    reference = (await kit.create_ticket(await kit.site(), headers=requester))["reference"]
    await post(kit, reference, "Premier passage : câble changé.")
    await post(kit, reference, "Note : à surveiller.", public=False)
    await post(kit, reference, "Merci, cela fonctionne.", headers=requester)

    staff = await kit.client.get(followups(reference), headers=kit.technician)
    theirs = await kit.client.get(followups(reference), headers=requester)

    assert [f["content"] for f in staff.json()["items"]] == [
        "Premier passage : câble changé.",
        "Note : à surveiller.",
        "Merci, cela fonctionne.",
    ]
    assert [f["content"] for f in theirs.json()["items"]] == [
        "Premier passage : câble changé.",
        "Merci, cela fonctionne.",
    ]
    assert all(f["public"] for f in theirs.json()["items"])


async def test_the_thread_is_paged(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    for n in range(3):
        await post(kit, reference, f"Message {n}")

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await kit.client.get(followups(reference), params=params, headers=kit.technician)
        assert page.status_code == 200, page.text
        seen += [f["content"] for f in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break

    assert seen == ["Message 0", "Message 1", "Message 2"]
    foreign = await kit.client.get(
        followups(reference), params={"cursor": "bm9wZQ"}, headers=kit.technician
    )
    assert foreign.status_code == 422 and fields_named(foreign) == ["cursor"]


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["closed", "cancelled"])
async def test_a_closed_or_cancelled_ticket_takes_no_followup(kit: Kit, status: str) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    await set_status(kit, reference, status)

    for public in (True, False):
        refused = await kit.client.post(
            followups(reference),
            json={"content": "Encore un souci", "public": public},
            headers=kit.technician,
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["type"] == PROBLEM + "ticket-closed"
        assert refused.json()["ticket_status"] == status
    assert await kit.event_types(reference) == ["ticketing.ticket.created.v1"]
    listed = await kit.client.get(followups(reference), headers=kit.technician)
    assert listed.json()["items"] == []


async def test_a_solved_ticket_still_takes_followups(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    await set_status(kit, reference, "solved")
    await post(kit, reference, "La panne est revenue.", headers=kit.technician)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": ""}, "content"),
        ({"content": "   \n  "}, "content"),
        ({"content": "x" * 20_001}, "content"),
        ({"content": "nul\x00"}, "content"),
        ({"content": "ok", "public": "peut-être"}, "public"),
        ({"content": "ok", "author": "someone"}, "author"),
        ({}, "content"),
    ],
)
async def test_an_invalid_body_is_422_naming_the_field(kit: Kit, body: Json, field: str) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    refused = await kit.client.post(followups(reference), json=body, headers=kit.technician)
    assert refused.status_code == 422, refused.text
    assert fields_named(refused) == [field]


async def test_the_longest_content_is_accepted(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    followup = await post(kit, reference, "é" * 20_000)
    assert len(followup["content"]) == 20_000


async def test_an_unknown_ticket_is_404(kit: Kit) -> None:
    for response in (
        await kit.client.post(
            followups("INC-1999-999999"), json={"content": "?"}, headers=kit.technician
        ),
        await kit.client.get(followups("INC-1999-999999"), headers=kit.technician),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["type"] == PROBLEM + "not-found"


# --- idempotent retries ------------------------------------------------------------------------


async def test_a_retry_with_the_same_key_returns_the_first_followup(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    headers = {**kit.technician, "Idempotency-Key": f"followup-{reference}"}
    body = {"content": "Pièce commandée."}

    first = await kit.client.post(followups(reference), json=body, headers=headers)
    retry = await kit.client.post(followups(reference), json=body, headers=headers)
    other = await kit.client.post(
        followups(reference), json={"content": "Autre chose"}, headers=headers
    )

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422, other.text
    assert other.json()["type"] == PROBLEM + "idempotency-key-reused"
    assert other.json()["field"] == "Idempotency-Key"
    listed = (await kit.client.get(followups(reference), headers=kit.technician)).json()
    assert len(listed["items"]) == 1
    assert (await kit.event_types(reference)).count(FOLLOWUP_ADDED) == 1


async def test_one_key_on_another_ticket_is_another_request(kit: Kit) -> None:
    site = await kit.site()
    first, second = (
        (await kit.create_ticket(site))["reference"],
        (await kit.create_ticket(site))["reference"],
    )
    headers = {**kit.technician, "Idempotency-Key": f"same-key-{first}"}

    assert (
        await kit.client.post(followups(first), json={"content": "Vu."}, headers=headers)
    ).status_code == 201
    reused = await kit.client.post(followups(second), json={"content": "Vu."}, headers=headers)

    assert reused.status_code == 422, reused.text
    assert reused.json()["type"] == PROBLEM + "idempotency-key-reused"
