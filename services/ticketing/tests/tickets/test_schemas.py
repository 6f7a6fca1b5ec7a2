"""What the tickets API accepts (no database): the intake body, the patch, the checklist's
bodies, and the check of a category's own fields."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from guichet_common.http import InvalidInput
from ticketing.categories.models import Category
from ticketing.tickets.schemas import FieldAnswer, TaskIn, TaskPatch, TicketIn, TicketPatch
from ticketing.tickets.service import check_answers

from .conftest import intake

ACCOUNT = Category(
    code="account",
    label="Compte et identifiants",
    fields=[
        {"key": "class_or_sector", "label": "Classe", "kind": "text", "required": True},
        {
            "key": "failing_services",
            "label": "Services",
            "kind": "choices",
            "choices": ["ENT", "Pronote", "Messagerie"],
            "required": True,
        },
        {"key": "room", "label": "Salle", "kind": "choice", "choices": ["B204", "C101"]},
    ],
)


def locations(error: ValidationError) -> list[str]:
    return [".".join(str(part) for part in e["loc"]) for e in error.errors()]


def refused(model: type[TicketIn] | type[TicketPatch], body: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return locations(caught.value)


# --- the intake body ----------------------------------------------------------------------


def test_a_full_intake_body_is_accepted_with_its_defaults() -> None:
    ticket = TicketIn.model_validate(intake("CLG-1", urgency=4, impact=5))
    assert (ticket.urgency, ticket.impact, ticket.priority) == (4, 5, None)
    assert ticket.category_fields == {} and ticket.channel is None
    assert ticket.requester.email == "claire.martin@ac-orleans-tours.fr"


@pytest.mark.parametrize("field", ["urgency", "impact"])
@pytest.mark.parametrize("level", [0, 6, 7])
def test_urgency_and_impact_are_1_to_5(field: str, level: int) -> None:
    assert refused(TicketIn, intake("CLG-1", **{field: level})) == [field]


def test_a_priority_is_1_to_6() -> None:
    assert TicketIn.model_validate(intake("CLG-1", priority=6)).priority == 6
    assert refused(TicketIn, intake("CLG-1", priority=7)) == ["priority"]


def test_a_requester_without_email_nor_phone_is_refused_on_requester() -> None:
    assert refused(TicketIn, intake("CLG-1", requester={"name": "M. Durand"})) == ["requester"]


def test_a_phone_alone_reaches_the_requester() -> None:
    body = intake("CLG-1", requester={"name": "M. Durand", "phone": "02 38 11 22 33"})
    assert TicketIn.model_validate(body).requester.email is None


@pytest.mark.parametrize("field", ["title", "description", "site_code", "asset_tag"])
def test_a_nul_character_is_refused_on_its_field(field: str) -> None:
    assert refused(TicketIn, {**intake("CLG-1"), field: "B204\x00"}) == [field]


def test_a_nul_in_a_category_answer_is_refused() -> None:
    body = intake("CLG-1", category_fields={"class_or_sector": "4e\x00B"})
    assert refused(TicketIn, body) == ["category_fields.class_or_sector.text"]


def test_an_unknown_field_is_refused() -> None:
    assert refused(TicketIn, intake("CLG-1", status="solved")) == ["status"]


# --- the patch -----------------------------------------------------------------------------


def test_a_patch_knows_which_fields_were_sent() -> None:
    patch = TicketPatch.model_validate({"urgency": 4, "priority": None})
    assert patch.model_fields_set == {"urgency", "priority"}


@pytest.mark.parametrize(
    "field", ["title", "description", "type", "category", "urgency", "impact", "requester"]
)
def test_a_required_field_cannot_be_nulled_and_the_422_names_it(field: str) -> None:
    assert refused(TicketPatch, {field: None}) == [field]


@pytest.mark.parametrize("field", ["priority", "room_code", "asset_tag", "affected_user"])
def test_an_optional_field_may_be_nulled(field: str) -> None:
    assert getattr(TicketPatch.model_validate({field: None}), field) is None


# --- the checklist's bodies ------------------------------------------------------------------


def test_a_task_needs_a_label_and_a_duration_of_zero_or_more() -> None:
    assert TaskIn.model_validate({"label": "Installer les pilotes"}).duration_minutes is None
    with pytest.raises(ValidationError):
        TaskIn.model_validate({"label": ""})
    with pytest.raises(ValidationError):
        TaskPatch.model_validate({"duration_minutes": -1})


# --- a category's own fields -----------------------------------------------------------------


def refused_answers(answers: dict[str, Any]) -> str:
    with pytest.raises(InvalidInput) as caught:
        check_answers(ACCOUNT, answers)
    field: str = caught.value.extra["field"]
    return field


def test_answers_are_kept_checked() -> None:
    answers: dict[str, FieldAnswer] = {
        "class_or_sector": " 4e B ",
        "failing_services": ["Pronote", "ENT", "Pronote"],
        "room": "C101",
    }
    assert check_answers(ACCOUNT, answers) == {
        "class_or_sector": "4e B",
        "failing_services": ["Pronote", "ENT"],
        "room": "C101",
    }


def test_a_lone_choice_is_a_list_of_one() -> None:
    checked = check_answers(ACCOUNT, {"class_or_sector": "CDI", "failing_services": "ENT"})
    assert checked == {"class_or_sector": "CDI", "failing_services": ["ENT"]}


@pytest.mark.parametrize("blank", [None, "", "   ", []])
def test_a_required_field_left_blank_is_refused(blank: Any) -> None:
    answers = {"class_or_sector": blank, "failing_services": ["ENT"]}
    assert refused_answers(answers) == "category_fields.class_or_sector"


def test_a_choice_not_offered_is_refused() -> None:
    answers = {"class_or_sector": "4e B", "failing_services": ["Facebook"]}
    assert refused_answers(answers) == "category_fields.failing_services"


def test_a_single_choice_takes_one_value() -> None:
    answers = {"class_or_sector": "4e B", "failing_services": ["ENT"], "room": ["B204", "C101"]}
    assert refused_answers(answers) == "category_fields.room"


def test_a_text_field_takes_a_text() -> None:
    answers = {"class_or_sector": ["4e B"], "failing_services": ["ENT"]}
    assert refused_answers(answers) == "category_fields.class_or_sector"


def test_an_unknown_key_is_refused() -> None:
    answers = {"class_or_sector": "4e B", "failing_services": ["ENT"], "password": "x"}
    assert refused_answers(answers) == "category_fields.password"
