"""What `POST /tickets/{reference}/transitions` accepts: one body per action, told apart by
`action`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)

from guichet_common.text import Text
from guichet_common.unions import located
from ticketing.lifecycle.models import Action
from ticketing.tickets.models import PendingReason, ResolutionCode

# Far enough for any intervention, and every moment in it converts between time zones
# without leaving the calendar's range.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


def _within_calendar(value: datetime) -> datetime:
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return value


Login = Annotated[
    Text, Field(min_length=1, max_length=200, description="A technician's login (`sub`)")
]
GroupCode = Annotated[Text, Field(min_length=1, max_length=40, description="A support group")]
# What the history keeps of a reason (`ticket_change.reason`).
Reason = Annotated[Text, Field(min_length=1, max_length=1000)]
Moment = Annotated[AwareDatetime, AfterValidator(_within_calendar)]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AssignIn(_Command):
    """To a technician, a support group, or both (at least one); the fields left out keep
    their value. A new ticket becomes `assigned`; a reassignment keeps `assigned` or
    `planned` (and the planned date) as they are."""

    action: Literal[Action.ASSIGN]
    assignee: Login | None = None
    group: GroupCode | None = None


class PlanIn(_Command):
    """The intervention's date; `technician` assigns the ticket to them at the same time.
    Needs an assignee."""

    action: Literal[Action.PLAN]
    planned_for: Moment = Field(description="With its offset: `2026-12-01T14:00:00+01:00`")
    technician: Login | None = None


class PendIn(_Command):
    action: Literal[Action.PEND]
    reason: PendingReason
    comment: Reason | None = None


class ResumeIn(_Command):
    """Back to `planned` if an intervention date is set, `assigned` otherwise."""

    action: Literal[Action.RESUME]


class SolveIn(_Command):
    action: Literal[Action.SOLVE]
    solution: Annotated[Text, Field(min_length=1, max_length=20_000)]
    resolution_code: ResolutionCode


class CloseIn(_Command):
    """The solution is accepted (by the requester, or the helpdesk for them)."""

    action: Literal[Action.CLOSE]
    override_reason: Reason | None = Field(
        None,
        description="A supervisor closing despite an unsigned on-site intervention sheet: "
        "why (kept in the history)",
    )


class ReopenIn(_Command):
    """The solution is refused: back to `assigned` if someone (a technician or a group) has
    it, `new` otherwise. The solution is cleared from the ticket and kept in its history."""

    action: Literal[Action.REOPEN]
    reason: Reason


class CancelIn(_Command):
    action: Literal[Action.CANCEL]
    reason: Reason


Command = AssignIn | PlanIn | PendIn | ResumeIn | SolveIn | CloseIn | ReopenIn | CancelIn


_COMMANDS: tuple[type[_Command], ...] = get_args(Command)


class TransitionIn(RootModel[Annotated[Command, Field(discriminator="action")]]):
    """`{"action": …}` and that action's own fields."""

    @model_validator(mode="wrap")
    @classmethod
    def _locate_errors(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            raise located(exc, value, tag="action", tags=Action, members=_COMMANDS) from None
