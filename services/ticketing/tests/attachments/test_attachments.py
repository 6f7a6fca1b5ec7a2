"""`/api/ticketing/tickets/{reference}/attachments`: uploads typed by their bytes, sizes and
counts bounded, downloads byte for byte with safe headers, and who sees which file."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import text

from ..conftest import TICKETS, Kit, MakeClient, fields_named
from .samples import ACCEPTED, PDF, PNG, REFUSED, SVG

pytestmark = pytest.mark.integration

Json = dict[str, Any]
PROBLEM = "urn:guichet:problem:"


def attachments(reference: str) -> str:
    return f"{TICKETS}/{reference}/attachments"


async def upload(
    kit: Kit,
    reference: str,
    content: bytes = PNG,
    *,
    filename: str = "capture.png",
    declared: str = "image/png",
    followup_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    return await kit.client.post(
        attachments(reference),
        files={"file": (filename, content, declared)},
        data={"followup_id": followup_id} if followup_id else None,
        headers=headers or kit.technician,
    )


async def attach(kit: Kit, reference: str, content: bytes = PNG, **options: Any) -> Json:
    response = await upload(kit, reference, content, **options)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


async def followup(kit: Kit, reference: str, *, public: bool) -> str:
    response = await kit.client.post(
        f"{TICKETS}/{reference}/followups",
        json={"content": "Voir la capture jointe.", "public": public},
        headers=kit.technician,
    )
    assert response.status_code == 201, response.text
    followup_id: str = response.json()["id"]
    return followup_id


def listed_ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


# --- accepted files ----------------------------------------------------------------------------


@pytest.mark.parametrize("media_type", sorted(ACCEPTED))
async def test_each_accepted_type_is_stored_and_downloaded_byte_for_byte(
    kit: Kit, media_type: str
) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    name, content = ACCEPTED[media_type]

    response = await upload(kit, reference, content, filename=name, declared=media_type)

    assert response.status_code == 201, response.text
    created = response.json()
    digest = hashlib.sha256(content).hexdigest()
    assert created["filename"] == name
    assert created["content_type"] == media_type
    assert (created["size"], created["sha256"]) == (len(content), digest)
    assert (created["followup_id"], created["uploaded_by"]) == (None, "tech1")
    assert created["download_url"] == f"{attachments(reference)}/{created['id']}"
    assert response.headers["ETag"] == f'"{digest}"'

    download = await kit.client.get(created["download_url"], headers=kit.technician)

    assert download.status_code == 200, download.text
    assert download.content == content
    assert download.headers["Content-Type"] == media_type
    assert download.headers["Content-Disposition"] == (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    )
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["ETag"] == f'"{digest}"'
    assert download.headers["Cache-Control"] == "private"
    assert "sandbox" in download.headers["Content-Security-Policy"]


async def test_the_type_comes_from_the_bytes_not_from_the_name_nor_the_declared_type(
    kit: Kit,
) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]

    created = await attach(kit, reference, PDF, filename="photo.png", declared="image/png")

    assert created["content_type"] == "application/pdf"
    download = await kit.client.get(created["download_url"], headers=kit.technician)
    assert download.headers["Content-Type"] == "application/pdf"


async def test_an_accented_name_survives_the_download(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]

    created = await attach(
        kit, reference, PDF, filename="C:\\Mes documents\\Relevé d'intervention.pdf"
    )

    assert created["filename"] == "Relevé d'intervention.pdf"
    download = await kit.client.get(created["download_url"], headers=kit.technician)
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="Releve d\'intervention.pdf"; '
        "filename*=UTF-8''Relev%C3%A9%20d%27intervention.pdf"
    )


async def test_a_name_with_controls_and_a_path_is_cleaned(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    # Built by hand: httpx would percent-encode the controls before they reach the server.
    boundary = "limite-0123456789"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; '
            'filename="../../x/écran\x01\x7f\tbleu.png"'
            "\r\nContent-Type: image/png\r\n\r\n"
        ).encode()
        + PNG
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = await kit.client.post(
        attachments(reference),
        content=body,
        headers={**kit.technician, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "écranbleu.png"
    long = await attach(kit, reference, filename="a" * 300 + ".png")
    assert long["filename"] == "a" * 251 + ".png"


async def test_an_upload_is_in_the_helpdesks_history(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    await attach(kit, reference, filename="capture.png")
    history = await kit.client.get(f"{TICKETS}/{reference}/history", headers=kit.supervisor)
    assert [(e["action"], e["changes"]) for e in history.json()["items"]][-1] == (
        "attachment_added",
        {"attachment": [None, "capture.png"]},
    )


# --- refused files -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(REFUSED))
async def test_a_file_of_another_type_is_415_whatever_its_name(kit: Kit, kind: str) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]

    refused = await upload(kit, reference, REFUSED[kind], filename="capture.png")

    assert refused.status_code == 415, refused.text
    problem = refused.json()
    assert problem["type"] == PROBLEM + "unsupported-file-type"
    assert fields_named(refused) == ["file"]
    assert "image/png" in problem["accepted"]
    assert (await kit.client.get(attachments(reference), headers=kit.technician)).json()[
        "items"
    ] == []


async def test_an_svg_declared_as_svg_is_refused_too(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    refused = await upload(kit, reference, SVG, filename="logo.svg", declared="image/svg+xml")
    assert refused.status_code == 415, refused.text


async def test_an_empty_file_is_422_naming_file(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    refused = await upload(kit, reference, b"")
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"] == PROBLEM + "validation-error"
    assert fields_named(refused) == ["file"]


async def test_a_request_without_a_file_is_422_naming_file(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    refused = await kit.client.post(
        attachments(reference), data={"note": "rien"}, headers=kit.technician
    )
    assert refused.status_code == 422, refused.text
    assert fields_named(refused) == ["file"]


async def test_a_file_over_the_limit_is_413_naming_file(kit: Kit, make_client: MakeClient) -> None:
    async with make_client(attachment_max_bytes=len(PNG)) as client:
        small = Kit(client, kit.engine, kit.settings)
        reference = (await small.create_ticket(await small.site()))["reference"]

        exact = await upload(small, reference, PNG)
        over = await upload(small, reference, PNG + b"\x00")

    assert exact.status_code == 201, exact.text
    assert over.status_code == 413, over.text
    assert over.json()["type"] == PROBLEM + "file-too-large"
    assert fields_named(over) == ["file"]
    assert over.json()["max_bytes"] == len(PNG)


async def test_a_ticket_holds_at_most_the_allowed_number_of_files(
    kit: Kit, make_client: MakeClient
) -> None:
    async with make_client(attachments_per_ticket=2) as client:
        limited = Kit(client, kit.engine, kit.settings)
        site = await limited.site()
        reference = (await limited.create_ticket(site))["reference"]
        other = (await limited.create_ticket(site))["reference"]
        await attach(limited, reference)
        await attach(limited, reference, PDF, filename="bon.pdf")

        refused = await upload(limited, reference)
        elsewhere = await upload(limited, other)

    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == PROBLEM + "attachment-limit"
    assert refused.json()["max_attachments"] == 2
    assert elsewhere.status_code == 201, elsewhere.text


@pytest.mark.parametrize("status", ["closed", "cancelled"])
async def test_a_closed_or_cancelled_ticket_takes_no_file(kit: Kit, status: str) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    async with kit.engine.begin() as conn:
        await conn.execute(
            text("UPDATE ticketing.ticket SET status = :s WHERE reference = :r"),
            {"s": status, "r": reference},
        )

    refused = await upload(kit, reference)

    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == PROBLEM + "ticket-closed"


async def test_a_followup_of_another_ticket_or_unknown_is_422(kit: Kit) -> None:
    site = await kit.site()
    reference = (await kit.create_ticket(site))["reference"]
    other = (await kit.create_ticket(site))["reference"]
    foreign = await followup(kit, other, public=True)

    for followup_id in (foreign, "01936f4e-0000-7000-8000-000000000000"):
        refused = await upload(kit, reference, followup_id=followup_id)
        assert refused.status_code == 422, refused.text
        assert fields_named(refused) == ["followup_id"]
    malformed = await upload(kit, reference, followup_id="pas-un-uuid")
    assert malformed.status_code == 422 and fields_named(malformed) == ["followup_id"]


# --- who sees which file -----------------------------------------------------------------------


async def test_another_requester_can_neither_list_upload_nor_download(kit: Kit) -> None:
    requester = kit.requester()
    reference = (await kit.create_ticket(await kit.site(), headers=requester))["reference"]
    theirs = await attach(kit, reference, headers=requester)
    assert theirs["uploaded_by"] == "req1"
    stranger = kit.requester(sub="req-stranger", email="stranger@ac-orleans-tours.fr")

    for response in (
        await kit.client.get(attachments(reference), headers=stranger),
        await upload(kit, reference, headers=stranger),
        await kit.client.get(theirs["download_url"], headers=stranger),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["type"] == PROBLEM + "not-found"
    assert listed_ids(await kit.client.get(attachments(reference), headers=requester)) == [
        theirs["id"]
    ]
    mine = await kit.client.get(theirs["download_url"], headers=requester)
    assert mine.content == PNG


async def test_the_files_of_a_private_followup_are_the_helpdesks(kit: Kit) -> None:
    requester = kit.requester()
    reference = (await kit.create_ticket(await kit.site(), headers=requester))["reference"]
    public, private = (
        await followup(kit, reference, public=True),
        await followup(kit, reference, public=False),
    )
    on_ticket = await attach(kit, reference)
    on_public = await attach(kit, reference, followup_id=public)
    on_private = await attach(kit, reference, PDF, followup_id=private)
    assert on_private["followup_id"] == private

    staff = await kit.client.get(attachments(reference), headers=kit.technician)
    theirs = await kit.client.get(attachments(reference), headers=requester)

    assert listed_ids(staff) == [on_ticket["id"], on_public["id"], on_private["id"]]
    assert listed_ids(theirs) == [on_ticket["id"], on_public["id"]]
    hidden = await kit.client.get(on_private["download_url"], headers=requester)
    assert hidden.status_code == 404, hidden.text
    shown = await kit.client.get(on_private["download_url"], headers=kit.technician)
    assert shown.content == PDF


async def test_a_requester_attaches_to_the_ticket_or_a_public_followup_only(kit: Kit) -> None:
    requester = kit.requester()
    reference = (await kit.create_ticket(await kit.site(), headers=requester))["reference"]
    public = await followup(kit, reference, public=True)
    private = await followup(kit, reference, public=False)

    assert (await upload(kit, reference, headers=requester)).status_code == 201
    on_public = await upload(kit, reference, followup_id=public, headers=requester)
    assert on_public.status_code == 201, on_public.text
    on_private = await upload(kit, reference, followup_id=private, headers=requester)
    assert on_private.status_code == 422, on_private.text
    assert fields_named(on_private) == ["followup_id"]


async def test_an_attachment_of_another_ticket_is_404_under_this_one(kit: Kit) -> None:
    site = await kit.site()
    reference = (await kit.create_ticket(site))["reference"]
    other = (await kit.create_ticket(site))["reference"]
    created = await attach(kit, other)

    wrong = await kit.client.get(
        f"{attachments(reference)}/{created['id']}", headers=kit.technician
    )

    assert wrong.status_code == 404, wrong.text


# --- lists and retries -------------------------------------------------------------------------


async def test_the_list_is_paged_oldest_first(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    ids = [(await attach(kit, reference, filename=f"{n}.png"))["id"] for n in range(3)]

    first = await kit.client.get(
        attachments(reference), params={"limit": 2}, headers=kit.technician
    )
    second = await kit.client.get(
        attachments(reference),
        params={"limit": 2, "cursor": first.json()["next_cursor"]},
        headers=kit.technician,
    )

    assert listed_ids(first) + listed_ids(second) == ids
    assert second.json()["next_cursor"] is None
    assert first.json()["items"][0] == {
        **first.json()["items"][0],
        "filename": "0.png",
        "content_type": "image/png",
        "size": len(PNG),
    }
    assert "content" not in first.json()["items"][0]


async def test_a_retried_upload_with_the_same_key_returns_the_first_answer(kit: Kit) -> None:
    reference = (await kit.create_ticket(await kit.site()))["reference"]
    headers = {**kit.technician, "Idempotency-Key": f"upload-{reference}"}

    first = await upload(kit, reference, headers=headers)
    retry = await upload(kit, reference, headers=headers)
    other = await upload(kit, reference, PDF, filename="autre.pdf", headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert other.status_code == 422, other.text
    assert other.json()["type"] == PROBLEM + "idempotency-key-reused"
    listed = await kit.client.get(attachments(reference), headers=kit.technician)
    assert listed_ids(listed) == [first.json()["id"]]


async def test_the_openapi_document_shows_the_multipart_body(kit: Kit) -> None:
    document = (await kit.client.get("/api/ticketing/openapi.json")).json()
    operation = document["paths"]["/api/ticketing/tickets/{reference}/attachments"]["post"]
    [(media_type, body)] = operation["requestBody"]["content"].items()
    assert media_type == "multipart/form-data"
    schema = document["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert set(schema["properties"]) == {"file", "followup_id"}
    assert schema["required"] == ["file"]
    download = document["paths"]["/api/ticketing/tickets/{reference}/attachments/{attachment_id}"][
        "get"
    ]
    assert set(download["responses"]["200"]["content"]) == set(ACCEPTED)
