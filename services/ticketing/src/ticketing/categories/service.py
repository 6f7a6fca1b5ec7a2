"""The category tree's rules: a parent that exists and is no descendant, a code taken
once, and intake fields that never ask for a password (the schemas check those)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.http import InvalidInput, NotFound, check_if_match
from guichet_common.logging import get_logger
from ticketing.categories import repository
from ticketing.categories.models import Category
from ticketing.categories.schemas import CategoryIn, CategoryPatch, task_rows
from ticketing.errors import AlreadyExists

log = get_logger(__name__)


@dataclass(frozen=True)
class PlacedCategory:
    """A category and the labels from the root down to its own."""

    category: Category
    path: tuple[str, ...]


async def tree(session: AsyncSession, *, active: bool | None = None) -> list[PlacedCategory]:
    """Every category, each before its children, siblings by position then code. `active`
    filters on the category's own flag; the path still names inactive ancestors."""
    categories = await repository.all_categories(session)  # by position, then code
    children: dict[str | None, list[Category]] = {}
    for category in categories:
        children.setdefault(category.parent_code, []).append(category)
    placed: list[PlacedCategory] = []

    def visit(parent: Category | None, path: tuple[str, ...]) -> None:
        for child in children.get(parent.code if parent else None, []):
            child_path = (*path, child.label)
            placed.append(PlacedCategory(child, child_path))
            visit(child, child_path)

    visit(None, ())
    return [p for p in placed if active is None or p.category.active is active]


async def get(session: AsyncSession, code: str) -> PlacedCategory:
    chain = await repository.ancestry(session, code)
    if not chain:
        raise NotFound(f"no category {code}")
    return PlacedCategory(chain[-1], tuple(category.label for category in chain))


async def _parent_chain(session: AsyncSession, parent_code: str) -> list[Category]:
    """The parent and its ancestors, from the root down (422 on an unknown parent)."""
    chain = await repository.ancestry(session, parent_code)
    if not chain:
        raise InvalidInput(f"no category {parent_code}", field="parent_code")
    return chain


async def create(session: AsyncSession, data: CategoryIn, *, actor: str) -> PlacedCategory:
    """A new category, after its siblings unless `position` says otherwise (409 on a code
    taken, 422 on an unknown parent)."""
    path: tuple[str, ...] = ()
    if data.parent_code is not None:
        path = tuple(above.label for above in await _parent_chain(session, data.parent_code))
    position = data.position
    if position is None:
        last = await repository.last_position_under(session, data.parent_code)
        position = 0 if last is None else last + 1
    category = Category(
        code=data.code,
        parent_code=data.parent_code,
        label=data.label,
        help_text=data.help_text,
        fields=[field.model_dump(mode="json") for field in data.fields],
        task_template=task_rows(data.task_template),
        position=position,
    )
    if not await repository.insert_unless_taken(session, category):
        raise AlreadyExists(f"a category with the code {data.code} already exists", field="code")
    log.info("category created", category=category.code, actor=actor)
    return PlacedCategory(category, (*path, category.label))


async def _check_no_cycle(session: AsyncSession, category: Category, parent_code: str) -> None:
    above = await _parent_chain(session, parent_code)
    if any(ancestor.code == category.code for ancestor in above):
        raise InvalidInput(
            f"{parent_code} is {category.code} or one of its descendants: "
            "a category cannot be placed under itself",
            field="parent_code",
        )


def _changes(data: CategoryPatch) -> dict[str, Any]:
    """The fields a patch sent, as the columns store them."""
    changes = data.model_dump(exclude_unset=True, exclude={"fields", "task_template"})
    if data.fields is not None:
        changes["fields"] = [field.model_dump(mode="json") for field in data.fields]
    if data.task_template is not None:
        changes["task_template"] = task_rows(data.task_template)
    return changes


async def update(
    session: AsyncSession, code: str, data: CategoryPatch, *, if_match: str | None, actor: str
) -> PlacedCategory:
    """Only the fields sent change; a patch that changes nothing writes nothing. Tickets
    already open keep the fields and tasks they were given."""
    moves = "parent_code" in data.model_fields_set
    if moves:
        await repository.lock_tree(session)
    category = await repository.find_for_update(session, code)
    if category is None:
        raise NotFound(f"no category {code}")
    check_if_match(if_match, category.version)
    if moves and data.parent_code is not None and data.parent_code != category.parent_code:
        await _check_no_cycle(session, category, data.parent_code)
    changed = {
        name: value for name, value in _changes(data).items() if getattr(category, name) != value
    }
    for name, value in changed.items():
        setattr(category, name, value)
    if changed:
        await repository.save(session, category)
        log.info("category updated", category=category.code, actor=actor, fields=sorted(changed))
    return await get(session, category.code)
