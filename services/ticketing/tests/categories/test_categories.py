"""`/api/ticketing/categories…`: the tree everyone's intake form is built from, which only
a supervisor changes."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from ..conftest import Kit, fields_named

pytestmark = pytest.mark.integration

CATEGORIES = "/api/ticketing/categories"
Json = dict[str, Any]


def new_code(prefix: str = "cat") -> str:
    """A category code no other test uses (the database is shared by a run's tests)."""
    return f"{prefix}_{secrets.token_hex(4)}"


async def create(kit: Kit, **fields: Any) -> Json:
    body = {"code": new_code(), "label": "Catégorie de test", **fields}
    response = await kit.client.post(CATEGORIES, json=body, headers=kit.supervisor)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


async def post(kit: Kit, **fields: Any) -> httpx.Response:
    body = {"code": new_code(), "label": "Catégorie de test", **fields}
    return await kit.client.post(CATEGORIES, json=body, headers=kit.supervisor)


async def patch(kit: Kit, code: str, body: Json) -> httpx.Response:
    etag = await kit.etag(f"{CATEGORIES}/{code}")
    return await kit.client.patch(
        f"{CATEGORIES}/{code}", json=body, headers={**kit.supervisor, "If-Match": etag}
    )


def refused_on(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "urn:guichet:problem:validation-error"
    assert fields_named(response) == [field]


# --- the seeded tree ---------------------------------------------------------------------------


async def test_the_tree_lists_each_category_before_its_children(kit: Kit) -> None:
    listed = await kit.client.get(CATEGORIES, headers=kit.requester())
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    codes = [item["code"] for item in items]
    seeded = [
        "hardware",
        "workstation",
        "workstation_replacement",
        "peripheral",
        "software",
        "software_install",
        "network",
        "wifi",
        "internet",
        "account",
        "printing",
        "projector",
        "telephony",
        "other",
    ]
    assert [code for code in codes if code in seeded] == seeded
    by_code = {item["code"]: item for item in items}
    replacement = by_code["workstation_replacement"]
    assert replacement["parent_code"] == "hardware"
    assert replacement["path_label"] == "Matériel \u203a Remplacement de poste"
    assert replacement["depth"] == 1
    assert by_code["hardware"]["path_label"] == "Matériel"
    assert by_code["hardware"]["depth"] == 0
    for item in items:
        if item["parent_code"] is not None:
            assert codes.index(item["parent_code"]) < codes.index(item["code"])


async def test_workstation_replacement_carries_its_seven_tasks(kit: Kit) -> None:
    read = await kit.client.get(f"{CATEGORIES}/workstation_replacement", headers=kit.technician)
    assert read.status_code == 200, read.text
    tasks = read.json()["task_template"]
    assert [task["position"] for task in tasks] == list(range(7))
    assert tasks[0]["label"] == "Sauvegarder les données et les favoris du navigateur"
    assert tasks[-1]["label"] == "Installer l'imprimante"
    assert read.json()["path_label"] == "Matériel \u203a Remplacement de poste"


async def test_account_asks_class_and_failing_services_and_never_a_password(kit: Kit) -> None:
    read = await kit.client.get(f"{CATEGORIES}/account", headers=kit.requester())
    assert read.status_code == 200, read.text
    account = read.json()
    assert [field["key"] for field in account["fields"]] == ["class_or_sector", "failing_services"]
    failing = account["fields"][1]
    assert failing["kind"] == "choices"
    assert "Pronote" in failing["choices"]
    assert "mot de passe" in account["help_text"]
    assert "Ne communiquez jamais votre mot de passe" in failing["help"]
    assert account["depth"] == 0


async def test_software_install_asks_the_software_name(kit: Kit) -> None:
    read = await kit.client.get(f"{CATEGORIES}/software_install", headers=kit.requester())
    assert read.json()["fields"] == [
        {
            "key": "software_name",
            "label": "Logiciel demandé",
            "kind": "text",
            "choices": [],
            "required": True,
            "help": None,
        }
    ]


async def test_an_unknown_category_is_404(kit: Kit) -> None:
    missing = await kit.client.get(f"{CATEGORIES}/nothing_here", headers=kit.technician)
    assert missing.status_code == 404, missing.text
    assert missing.json()["type"] == "urn:guichet:problem:not-found"


async def test_nobody_without_a_ticketing_role_reads_them(kit: Kit) -> None:
    assert (await kit.client.get(CATEGORIES)).status_code == 401
    assert (await kit.client.get(CATEGORIES, headers=kit.token("ops"))).status_code == 403


# --- creation ----------------------------------------------------------------------------------


async def test_a_supervisor_creates_a_category_under_a_parent(kit: Kit) -> None:
    fields = [
        {"key": "room", "label": "Salle", "kind": "text", "required": True},
        {"key": "brand", "label": "Marque", "kind": "choice", "choices": ["Epson", "BenQ"]},
    ]
    created = await create(
        kit,
        parent_code="projector",
        label="Lampe à changer",
        help_text="Indiquez la salle.",
        fields=fields,
        task_template=["Commander la lampe", {"label": "Remplacer la lampe"}],
    )
    assert created["path_label"] == "Vidéoprojecteur et TBI \u203a Lampe à changer"
    assert created["depth"] == 1
    assert created["active"] is True
    assert [f["key"] for f in created["fields"]] == ["room", "brand"]
    assert created["fields"][1]["choices"] == ["Epson", "BenQ"]
    assert created["task_template"] == [
        {"position": 0, "label": "Commander la lampe"},
        {"position": 1, "label": "Remplacer la lampe"},
    ]
    read = await kit.client.get(f"{CATEGORIES}/{created['code']}", headers=kit.requester())
    assert read.json() == created
    assert read.headers["ETag"] == '"1"'


async def test_a_new_category_comes_after_its_siblings_unless_placed(kit: Kit) -> None:
    root = await create(kit)
    first = await create(kit, parent_code=root["code"], code=new_code("zz"))
    second = await create(kit, parent_code=root["code"], code=new_code("aa"))
    placed = await create(kit, parent_code=root["code"], code=new_code("mm"), position=0)
    grandchild = await create(kit, parent_code=second["code"])
    assert (first["position"], second["position"], placed["position"]) == (0, 1, 0)
    assert grandchild["depth"] == 2
    assert grandchild["path_label"].count("\u203a") == 2

    codes = [
        item["code"]
        for item in (await kit.client.get(CATEGORIES, headers=kit.technician)).json()["items"]
    ]
    mine = [root["code"], placed["code"], first["code"], second["code"], grandchild["code"]]
    assert [code for code in codes if code in mine] == mine


async def test_the_tree_filters_on_active(kit: Kit) -> None:
    parent = await create(kit)
    child = await create(kit, parent_code=parent["code"])
    changed = await patch(kit, parent["code"], {"active": False})
    assert changed.status_code == 200, changed.text
    assert changed.json()["active"] is False

    inactive = (
        await kit.client.get(CATEGORIES, params={"active": "false"}, headers=kit.technician)
    ).json()["items"]
    active = (
        await kit.client.get(CATEGORIES, params={"active": "true"}, headers=kit.technician)
    ).json()["items"]
    assert parent["code"] in [c["code"] for c in inactive]
    assert child["code"] not in [c["code"] for c in inactive]
    assert parent["code"] not in [c["code"] for c in active]
    assert child["code"] in [c["code"] for c in active]
    assert all(c["active"] for c in active)
    assert not any(c["active"] for c in inactive)


async def test_a_code_taken_is_409(kit: Kit) -> None:
    taken = await post(kit, code="hardware")
    assert taken.status_code == 409, taken.text
    assert taken.json()["type"] == "urn:guichet:problem:already-exists"
    assert taken.json()["field"] == "code"


@pytest.mark.parametrize("code", ["A_code", "1abc", "a", "with-hyphen", "é_code", "a" * 41])
async def test_a_code_follows_the_pattern(kit: Kit, code: str) -> None:
    refused_on(await post(kit, code=code), "code")


async def test_an_unknown_parent_is_refused(kit: Kit) -> None:
    refused = await post(kit, parent_code="no_such_parent")
    refused_on(refused, "parent_code")


async def test_field_keys_are_unique_within_a_category(kit: Kit) -> None:
    fields = [
        {"key": "room", "label": "Salle"},
        {"key": "brand", "label": "Marque"},
        {"key": "room", "label": "Autre salle"},
    ]
    refused_on(await post(kit, fields=fields), "fields.2.key")


@pytest.mark.parametrize("kind", ["choice", "choices"])
async def test_a_choice_field_needs_choices(kit: Kit, kind: str) -> None:
    fields = [{"key": "room", "label": "Salle"}, {"key": "brand", "label": "Marque", "kind": kind}]
    refused_on(await post(kit, fields=fields), "fields.1.choices")


async def test_a_text_field_has_no_choices(kit: Kit) -> None:
    fields = [{"key": "room", "label": "Salle", "kind": "text", "choices": ["B204"]}]
    refused_on(await post(kit, fields=fields), "fields.0.choices")


async def test_a_choice_is_listed_once(kit: Kit) -> None:
    fields = [{"key": "brand", "label": "Marque", "kind": "choice", "choices": ["A", "B", "A"]}]
    refused_on(await post(kit, fields=fields), "fields.0.choices.2")


@pytest.mark.parametrize(
    ("field", "named"),
    [
        ({"key": "password", "label": "Identifiant"}, "fields.1.key"),
        ({"key": "ent_mdp", "label": "Identifiant"}, "fields.1.key"),
        ({"key": "login", "label": "Votre mot de passe ENT"}, "fields.1.label"),
        ({"key": "login", "label": "MDP actuel"}, "fields.1.label"),
        ({"key": "login", "label": "Mot-de-passe Pronote"}, "fields.1.label"),
        ({"key": "login", "label": "Password"}, "fields.1.label"),
    ],
)
async def test_a_category_never_asks_for_a_password(kit: Kit, field: Json, named: str) -> None:
    fields = [{"key": "room", "label": "Salle"}, field]
    refused = await post(kit, fields=fields)
    refused_on(refused, named)
    assert "never asks for a password" in refused.json()["errors"][0]["message"]


async def test_a_help_text_may_warn_about_passwords(kit: Kit) -> None:
    # The warning the seeded `account` category shows is no password field.
    warning = "Ne communiquez jamais votre mot de passe."
    created = await create(
        kit, help_text=warning, fields=[{"key": "login", "label": "Identifiant", "help": warning}]
    )
    assert created["fields"][0]["help"] == warning


@pytest.mark.parametrize(
    ("task", "named"),
    [
        ("", ["task_template.1"]),
        (3, ["task_template.1"]),
        ({"label": ""}, ["task_template.1.label"]),
        ({"label": "Ok", "done": True}, ["task_template.1.done"]),
        ({"name": "x"}, ["task_template.1.label", "task_template.1.name"]),
    ],
)
async def test_a_task_is_a_label(kit: Kit, task: Any, named: list[str]) -> None:
    refused = await post(kit, task_template=["Premier", task])
    assert refused.status_code == 422, refused.text
    assert fields_named(refused) == named


@pytest.mark.parametrize("role", ["technician", "requester"])
async def test_only_a_supervisor_creates(kit: Kit, role: str) -> None:
    code = new_code()
    refused = await kit.client.post(
        CATEGORIES, json={"code": code, "label": "X"}, headers=kit.token(role)
    )
    assert refused.status_code == 403, refused.text
    missing = await kit.client.get(f"{CATEGORIES}/{code}", headers=kit.technician)
    assert missing.status_code == 404


async def test_a_retried_create_returns_the_first_answer(kit: Kit) -> None:
    body = {"code": new_code(), "label": "Clé USB"}
    headers = {**kit.supervisor, "Idempotency-Key": secrets.token_hex(8)}
    first = await kit.client.post(CATEGORIES, json=body, headers=headers)
    again = await kit.client.post(CATEGORIES, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["ETag"] == first.headers["ETag"]
    other = await kit.client.post(CATEGORIES, json={**body, "label": "Autre"}, headers=headers)
    assert other.status_code == 422, other.text
    assert other.json()["type"] == "urn:guichet:problem:idempotency-key-reused"


# --- changes -----------------------------------------------------------------------------------


async def test_a_patch_changes_only_what_it_sends(kit: Kit) -> None:
    created = await create(
        kit, help_text="Aide", fields=[{"key": "room", "label": "Salle"}], task_template=["A"]
    )
    path = f"{CATEGORIES}/{created['code']}"
    changed = await patch(kit, created["code"], {"label": "Nouveau nom", "help_text": None})
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'
    body = changed.json()
    assert (body["label"], body["help_text"], body["path_label"]) == (
        "Nouveau nom",
        None,
        "Nouveau nom",
    )
    assert body["fields"] == created["fields"]
    assert body["task_template"] == created["task_template"]

    tasks = await patch(
        kit, created["code"], {"task_template": [{"label": "B"}, "C"], "position": 7}
    )
    assert tasks.json()["task_template"] == [
        {"position": 0, "label": "B"},
        {"position": 1, "label": "C"},
    ]
    assert tasks.json()["position"] == 7
    same = await patch(kit, created["code"], {"position": 7})
    assert same.headers["ETag"] == tasks.headers["ETag"]
    assert (await kit.client.get(path, headers=kit.technician)).json() == tasks.json()


async def test_a_patch_needs_the_etag(kit: Kit) -> None:
    created = await create(kit)
    path = f"{CATEGORIES}/{created['code']}"
    missing = await kit.client.patch(path, json={"label": "X"}, headers=kit.supervisor)
    assert missing.status_code == 428, missing.text
    assert missing.json()["type"] == "urn:guichet:problem:precondition-required"
    stale = await kit.client.patch(
        path, json={"label": "X"}, headers={**kit.supervisor, "If-Match": '"0"'}
    )
    assert stale.status_code == 412, stale.text
    assert stale.json()["type"] == "urn:guichet:problem:precondition-failed"
    assert stale.json()["etag"] == '"1"'
    after = await kit.client.get(path, headers=kit.supervisor)
    assert after.json() == created
    assert after.headers["ETag"] == '"1"'


async def test_a_technician_cannot_patch(kit: Kit) -> None:
    created = await create(kit)
    refused = await kit.client.patch(
        f"{CATEGORIES}/{created['code']}",
        json={"label": "X"},
        headers={**kit.technician, "If-Match": '"1"'},
    )
    assert refused.status_code == 403, refused.text


async def test_a_category_moves_and_its_descendants_follow(kit: Kit) -> None:
    parent, other = await create(kit, label="Parent"), await create(kit, label="Autre")
    child = await create(kit, parent_code=parent["code"], label="Enfant")
    grandchild = await create(kit, parent_code=child["code"], label="Petit-enfant")

    moved = await patch(kit, child["code"], {"parent_code": other["code"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["path_label"] == "Autre \u203a Enfant"
    below = await kit.client.get(f"{CATEGORIES}/{grandchild['code']}", headers=kit.technician)
    assert below.json()["path_label"] == "Autre \u203a Enfant \u203a Petit-enfant"

    rooted = await patch(kit, child["code"], {"parent_code": None})
    assert rooted.json()["parent_code"] is None
    assert rooted.json()["depth"] == 0


@pytest.mark.parametrize("under", ["itself", "child", "grandchild"])
async def test_a_category_cannot_move_under_itself(kit: Kit, under: str) -> None:
    top = await create(kit)
    child = await create(kit, parent_code=top["code"])
    grandchild = await create(kit, parent_code=child["code"])
    target = {"itself": top, "child": child, "grandchild": grandchild}[under]["code"]
    refused = await patch(kit, top["code"], {"parent_code": target})
    refused_on(refused, "parent_code")
    assert (
        await kit.client.get(f"{CATEGORIES}/{top['code']}", headers=kit.technician)
    ).json() == top


async def test_a_patch_checks_parent_and_fields_as_a_create(kit: Kit) -> None:
    created = await create(kit)
    refused_on(await patch(kit, created["code"], {"parent_code": "no_such_parent"}), "parent_code")
    refused_on(
        await patch(kit, created["code"], {"fields": [{"key": "mdp", "label": "Code"}]}),
        "fields.0.key",
    )
    for name in ("label", "fields", "task_template", "position", "active"):
        refused_on(await patch(kit, created["code"], {name: None}), name)
    refused_on(await patch(kit, created["code"], {"code": "other_code"}), "code")


async def test_patching_an_unknown_category_is_404(kit: Kit) -> None:
    missing = await kit.client.patch(
        f"{CATEGORIES}/nothing_here",
        json={"label": "X"},
        headers={**kit.supervisor, "If-Match": '"1"'},
    )
    assert missing.status_code == 404, missing.text
