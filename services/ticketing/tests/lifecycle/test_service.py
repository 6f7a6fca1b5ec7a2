"""The lifecycle's service functions take `now`: their tests choose the instant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from ticketing.lifecycle import service
from ticketing.lifecycle.models import (
    REQUESTER_TRANSITIONS,
    STAFF_TRANSITIONS,
    Action,
    allowed_actions,
    transitions_for,
)
from ticketing.lifecycle.schemas import CloseIn, SolveIn, TransitionIn
from ticketing.tickets.models import ResolutionCode, Status

from ..conftest import Kit

TECHNICIAN = Principal(subject="tech1", roles=frozenset({"technician"}), name="Théo Technicien")
NEW_YEAR = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on New Year's Day in Paris


@pytest.mark.integration
async def test_solve_and_close_stamp_the_instant_given(kit: Kit, db_session: AsyncSession) -> None:
    ticket = await kit.create_ticket(await kit.site())
    reference, version = ticket["reference"], f'"{ticket["version"]}"'
    solved = await service.transition(
        db_session,
        reference,
        SolveIn(
            action=Action.SOLVE, solution="Câble remplacé", resolution_code=ResolutionCode.FIXED
        ),
        TECHNICIAN,
        if_match=version,
        settings=kit.settings,
        now=NEW_YEAR,
    )
    assert solved.solved_at == solved.updated_at == NEW_YEAR
    closed = await service.transition(
        db_session,
        reference,
        CloseIn(action=Action.CLOSE),
        TECHNICIAN,
        if_match=f'"{solved.version}"',
        settings=kit.settings,
        now=NEW_YEAR.replace(minute=45),
    )
    assert closed.closed_at == NEW_YEAR.replace(minute=45)
    assert closed.status is Status.CLOSED


def test_the_requesters_table_is_within_the_helpdesks() -> None:
    for action, sources in REQUESTER_TRANSITIONS.items():
        assert sources <= STAFF_TRANSITIONS[action], action
    assert set(STAFF_TRANSITIONS) == set(Action)


def test_only_an_owner_may_cancel() -> None:
    owner = transitions_for(staff=False, owner=True)
    other = transitions_for(staff=False, owner=False)
    assert allowed_actions(owner, Status.NEW) == ["cancel"]
    assert allowed_actions(other, Status.NEW) == []
    assert allowed_actions(other, Status.SOLVED) == ["close", "reopen"]
    assert transitions_for(staff=True, owner=False) is STAFF_TRANSITIONS


def test_errors_are_located_where_the_client_wrote_them() -> None:
    with pytest.raises(ValidationError) as raised:
        TransitionIn.model_validate({"action": "solve", "solution": ""})
    assert sorted(error["loc"] for error in raised.value.errors()) == [
        ("resolution_code",),
        ("solution",),
    ]
    with pytest.raises(ValidationError) as raised:
        TransitionIn.model_validate({"action": "fly"})
    [error] = raised.value.errors()
    assert error["loc"] == ("action",)
    command = TransitionIn.model_validate({"action": "close"}).root
    assert isinstance(command, CloseIn)


def test_without_a_known_action_the_other_fields_are_checked_too() -> None:
    """One answer names every field to correct: a NUL in a reason is named even when the
    action is missing (a field is wrong when no action taking it would accept it)."""
    with pytest.raises(ValidationError) as raised:
        TransitionIn.model_validate({"reason": "a\x00b", "solution": "Câble remplacé"})
    assert [(error["loc"], error["type"]) for error in raised.value.errors()] == [
        (("action",), "union_tag_not_found"),
        (("reason",), "enum"),  # as pend's reason
        (("reason",), "nul_character"),  # as reopen's or cancel's
    ]
    # `user` is a pend reason: accepted by one action that takes `reason`.
    with pytest.raises(ValidationError) as raised:
        TransitionIn.model_validate({"action": "fly", "reason": "user"})
    assert [error["loc"] for error in raised.value.errors()] == [("action",)]
