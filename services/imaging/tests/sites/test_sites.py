"""`/api/imaging/sites`: registration (the minimal body, every field, codes and UAIs
unique, opening hours checked), reads, lists, changes with If-Match, and callers limited
to some sites."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import (
    SITES,
    WEEK_WITH_LUNCH,
    Json,
    Park,
    fields_named,
    greek_code,
    new_code,
    new_uai,
)

pytestmark = pytest.mark.integration

# --- registration --------------------------------------------------------------------------------


async def test_the_minimal_body_registers_a_site_and_publishes_it(kit: Any) -> None:
    code = new_code()
    response = await kit.client.post(
        SITES,
        json={"code": code, "name": "Collège Jean Pelletier", "zone": "B"},
        headers=kit.supervisor,
    )

    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    site = response.json()
    assert site["code"] == code
    assert (site["kind"], site["kind_label"]) == ("college", "Collège")
    assert site["active"] is True
    assert site["hostname_prefix"] == code.replace("-", "")[:6]
    assert site["opening_hours"] == [] and site["contacts"] == []
    assert site["uai"] is None and site["department"] is None and site["address"] is None

    [event] = await kit.events(code)
    assert event["type"] == "imaging.site.registered.v1"
    assert event["subject"] == code
    assert event["data"] == {
        "site_id": site["id"],
        "site_code": code,
        "version": 1,
        "name": "Collège Jean Pelletier",
        "kind": "college",
        "kind_label": "Collège",
        "uai": None,
        "department": None,
        "zone": "B",
        "address": None,
        "opening_hours": [],
        "contacts": [],
        "active": True,
        "hostname_prefix": site["hostname_prefix"],
    }


async def test_every_field_is_kept_normalised_and_carried_by_the_event(
    park: Park, kit: Any
) -> None:
    code, uai = new_code("LYC"), new_uai()
    site = await park.create_site(
        code,
        name="Lycée Voltaire",
        kind="lycee",
        uai=uai.lower(),
        department="2a",
        zone="A",
        address="3 avenue Voltaire, 45000 Orléans",
        opening_hours=WEEK_WITH_LUNCH,
        contacts=[
            {
                "name": "Mme Durand",
                "role": "Gestionnaire",
                "email": "Gestion.Voltaire@AC-Orleans-Tours.FR",
                "phone": "+33 2 38 00 00 00",
            },
            {"name": "Loge"},
        ],
        active=False,
        hostname_prefix="volt",
    )

    assert (site["kind"], site["kind_label"]) == ("lycee", "Lycée")
    assert (site["uai"], site["department"], site["zone"]) == (uai, "2A", "A")
    assert site["hostname_prefix"] == "VOLT"
    assert site["active"] is False
    # In weekday order, Wednesday's single morning among the days with a lunch break.
    assert [day["weekday"] for day in site["opening_hours"]] == [0, 1, 2, 3, 4]
    assert site["opening_hours"][0]["ranges"] == [
        {"start": "08:00:00", "end": "12:30:00"},
        {"start": "13:30:00", "end": "17:30:00"},
    ]
    assert site["contacts"][0]["email"] == "Gestion.Voltaire@ac-orleans-tours.fr"
    assert site["contacts"][1] == {"name": "Loge", "role": None, "email": None, "phone": None}

    read = await park.get(f"{SITES}/{code}")
    assert read.json() == site

    [event] = await kit.events(code)
    data = event["data"]
    assert (data["kind"], data["kind_label"], data["uai"]) == ("lycee", "Lycée", uai)
    assert data["department"] == "2A" and data["address"] == "3 avenue Voltaire, 45000 Orléans"
    assert data["opening_hours"] == site["opening_hours"]
    assert data["contacts"] == site["contacts"]
    assert (data["active"], data["hostname_prefix"]) == (False, "VOLT")


async def test_a_code_is_unique_whatever_its_case(park: Park, kit: Any) -> None:
    code = new_code()
    first = await park.create_site(code)

    twin = await kit.client.post(
        SITES, json={"code": code.lower(), "name": "Autre", "zone": "B"}, headers=kit.supervisor
    )

    assert twin.status_code == 409, twin.text
    assert twin.json()["type"] == "urn:guichet:problem:already-exists"
    assert twin.json()["field"] == "code"
    assert code.lower() in twin.json()["detail"]
    assert (await park.get(f"{SITES}/{code.lower()}")).json() == first
    assert await kit.event_types(code) == ["imaging.site.registered.v1"]


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("C", "at least 2"),
        ("CLG-" + "X" * 17, "at most 20"),
        ("CLG CHECY", "letters, digits and hyphens"),
        ("CLG_CHECY", "letters, digits and hyphens"),
        ("-CHECY", "hyphen"),
        ("CHECY-", "hyphen"),
    ],
)
async def test_a_malformed_code_is_refused(kit: Any, code: str, problem: str) -> None:
    response = await kit.client.post(
        SITES, json={"code": code, "name": "X", "zone": "B"}, headers=kit.supervisor
    )
    assert response.status_code == 422, response.text
    assert fields_named(response) == ["code"]
    assert problem in response.json()["errors"][0]["message"]


async def test_a_uai_needs_its_check_letter_and_is_unique(park: Park, kit: Any) -> None:
    # 0450782 = 23 * 19599 + 5: the sixth letter of the alphabet without I, O and Q, F.
    wrong = await kit.client.post(
        SITES,
        json={"code": new_code(), "name": "X", "zone": "B", "uai": "0450782G"},
        headers=kit.supervisor,
    )
    assert wrong.status_code == 422, wrong.text
    assert fields_named(wrong) == ["uai"]
    assert "check letter" in wrong.json()["errors"][0]["message"]

    holder = await park.create_site(uai="0450782F")
    assert holder["uai"] == "0450782F"

    code = new_code()
    taken = await kit.client.post(
        SITES,
        json={"code": code, "name": "X", "zone": "B", "uai": " 0450782f "},
        headers=kit.supervisor,
    )
    assert taken.status_code == 409, taken.text
    assert taken.json()["field"] == "uai"
    assert "0450782F" in taken.json()["detail"]
    assert await kit.events(code) == []


@pytest.mark.parametrize(
    ("opening_hours", "field", "message"),
    [
        (
            [
                {
                    "weekday": 0,
                    "ranges": [
                        {"start": "08:00", "end": "12:30"},
                        {"start": "12:00", "end": "17:00"},
                    ],
                }
            ],
            "opening_hours.0.ranges.1",
            "overlaps the range before it (08:00-12:30)",
        ),
        (
            [
                {"weekday": 1, "ranges": [{"start": "08:00", "end": "12:00"}]},
                {
                    "weekday": 0,
                    "ranges": [
                        {"start": "13:30", "end": "17:00"},
                        {"start": "08:00", "end": "12:00"},
                    ],
                },
            ],
            "opening_hours.1.ranges.1",
            "must come after the range before it",
        ),
        (
            [{"weekday": 4, "ranges": [{"start": "12:00", "end": "08:00"}]}],
            "opening_hours.0.ranges.0.end",
            "must be after start",
        ),
        (
            [
                {"weekday": 2, "ranges": [{"start": "08:00", "end": "12:00"}]},
                {"weekday": 2, "ranges": [{"start": "13:00", "end": "17:00"}]},
            ],
            "opening_hours.1.weekday",
            "already listed",
        ),
        (
            [{"weekday": 7, "ranges": [{"start": "08:00", "end": "12:00"}]}],
            "opening_hours.0.weekday",
            "less than or equal to 6",
        ),
        ([{"weekday": 0, "ranges": []}], "opening_hours.0.ranges", "at least 1"),
    ],
)
async def test_opening_hours_are_refused_naming_the_range(
    kit: Any, opening_hours: list[Json], field: str, message: str
) -> None:
    code = new_code()
    response = await kit.client.post(
        SITES,
        json={"code": code, "name": "X", "zone": "B", "opening_hours": opening_hours},
        headers=kit.supervisor,
    )

    assert response.status_code == 422, response.text
    assert fields_named(response) == [field]
    assert field in response.json()["detail"]
    assert message in response.json()["errors"][0]["message"]
    assert await kit.events(code) == []


@pytest.mark.parametrize(
    ("department", "accepted"),
    [("45", "45"), ("2a", "2A"), ("971", "971"), ("20", None), ("96", None), ("977", None)],
)
async def test_the_department_is_a_real_one(
    kit: Any, department: str, accepted: str | None
) -> None:
    response = await kit.client.post(
        SITES,
        json={"code": new_code(), "name": "X", "zone": "B", "department": department},
        headers=kit.supervisor,
    )
    if accepted is None:
        assert response.status_code == 422, response.text
        assert fields_named(response) == ["department"]
    else:
        assert response.status_code == 201, response.text
        assert response.json()["department"] == accepted


# --- the hostname prefix -------------------------------------------------------------------------


async def test_the_prefix_is_derived_from_the_code_letters_and_digits(park: Park) -> None:
    # Accents removed, the hyphen dropped, the first six: CHECY + C.
    code = f"Chécy-CLG{new_code('')}"
    site = await park.create_site(code)
    assert site["code"] == code
    assert site["hostname_prefix"] == "CHECYC"
    # Found whatever the case of its accented letters.
    assert (await park.get(f"{SITES}/{code.upper()}")).json()["id"] == site["id"]

    digits_first = f"45{new_code('')}"  # 45-3F9A1C
    expected = digits_first.replace("-", "")[:6]
    assert (await park.create_site(digits_first))["hostname_prefix"] == expected


@pytest.mark.parametrize("prefix", ["-CHY", "CHY-", "CHÉCY", "CHY_1", "TOOLONG"])
async def test_a_prefix_outside_netbios_names_is_refused(kit: Any, prefix: str) -> None:
    response = await kit.client.post(
        SITES,
        json={"code": new_code(), "name": "X", "zone": "B", "hostname_prefix": prefix},
        headers=kit.supervisor,
    )
    assert response.status_code == 422, response.text
    assert fields_named(response) == ["hostname_prefix"]


async def test_a_code_with_nothing_to_derive_needs_a_prefix(park: Park, kit: Any) -> None:
    code = greek_code()
    refused = await kit.client.post(
        SITES, json={"code": code, "name": "X", "zone": "B"}, headers=kit.supervisor
    )
    assert refused.status_code == 422, refused.text
    assert fields_named(refused) == ["hostname_prefix"]
    assert "give hostname_prefix" in refused.json()["detail"]

    assert (await park.create_site(code, hostname_prefix="ATH"))["hostname_prefix"] == "ATH"


# --- reads and lists -----------------------------------------------------------------------------


async def test_an_unknown_site_is_a_404_naming_it(park: Park) -> None:
    response = await park.get(f"{SITES}/NOWHERE-0")
    assert response.status_code == 404
    assert response.json()["detail"] == "no site NOWHERE-0"


async def test_the_list_filters_and_pages_by_code(park: Park) -> None:
    marker = new_code("")[1:]  # in the names of this test's sites only
    a = await park.create_site(f"A-{marker}", name=f"Collège {marker}", zone="A", department="45")
    b = await park.create_site(f"B-{marker}", name=f"Lycée {marker}", zone="B", department="45")
    c = await park.create_site(
        f"C-{marker}", name=f"Collège {marker}", zone="B", department="41", active=False
    )

    async def codes(**params: Any) -> list[str]:
        response = await park.kit.client.get(
            SITES, params={"q": marker, **params}, headers=park.kit.technician
        )
        assert response.status_code == 200, response.text
        return [site["code"] for site in response.json()["items"]]

    assert await codes() == [a["code"], b["code"], c["code"]]
    assert await codes(zone="B") == [b["code"], c["code"]]
    assert await codes(department="45") == [a["code"], b["code"]]
    assert await codes(active="false") == [c["code"]]
    assert await codes(q=f"lycée {marker}".upper()) == [b["code"]]
    assert await codes(q=f"c-{marker.lower()}") == [c["code"]]

    first = await park.kit.client.get(
        SITES, params={"q": marker, "limit": 2}, headers=park.kit.technician
    )
    assert [s["code"] for s in first.json()["items"]] == [a["code"], b["code"]]
    second = await park.kit.client.get(
        SITES,
        params={"q": marker, "limit": 2, "cursor": first.json()["next_cursor"]},
        headers=park.kit.technician,
    )
    assert [s["code"] for s in second.json()["items"]] == [c["code"]]
    assert second.json()["next_cursor"] is None


async def test_q_matches_percent_and_underscore_literally(park: Park) -> None:
    marker = new_code("")[1:]
    await park.create_site(f"P-{marker}", name=f"Collège 100 {marker}")
    response = await park.kit.client.get(
        SITES, params={"q": f"100%{marker}"}, headers=park.kit.technician
    )
    assert response.json()["items"] == []
