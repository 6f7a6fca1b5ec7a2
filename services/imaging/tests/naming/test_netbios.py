"""What a hostname is: one Python rule (`netbios_problem`), the same rule as CHECK
constraints of the register and of the hosts."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from imaging.naming.models import fold_hostname, netbios_name, netbios_problem


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Chécy", "CHECY"),
        ("  pc-01 ", "PC-01"),
        ("Saint-Jean-de-Braye", None),  # 19 characters
        ("ÉLÈVE-Ç1", "ELEVE-C1"),
        ("A", "A"),
        ("A23456789012345", "A23456789012345"),  # 15: the most there is
        ("9A", "9A"),
        ("PC--01", "PC--01"),
    ],
)
def test_names_are_folded_then_checked(typed: str, name: str | None) -> None:
    if name is None:
        with pytest.raises(ValueError, match="at most 15 characters"):
            netbios_name(typed)
    else:
        assert netbios_name(typed) == name


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "must not be empty"),
        ("A234567890123456", "at most 15 characters (a NetBIOS name), not 16"),
        ("PC 01", "letters A-Z, digits and hyphens only, not ' '"),
        ("PC_01", "letters A-Z, digits and hyphens only, not '_'"),
        ("PC.LAN", "letters A-Z, digits and hyphens only, not '.'"),
        ("ŒIL", "letters A-Z, digits and hyphens only, not 'Œ'"),
        ("123456", "must not be digits only"),
        ("-PC01", "must not start or end with a hyphen"),
        ("PC01-", "must not start or end with a hyphen"),
        ("-", "must not start or end with a hyphen"),
        ("pc01", "letters A-Z, digits and hyphens only, not 'cp'"),  # not folded: lower case
    ],
)
def test_every_rule_says_why(name: str, problem: str) -> None:
    assert netbios_problem(name) == problem


def test_folding_keeps_what_it_cannot_fold_for_the_rule_to_refuse() -> None:
    assert fold_hostname(" bœuf_1 ") == "BŒUF_1"
    assert netbios_problem(fold_hostname(" bœuf_1 ")) is not None


VALID = ["A", "PC-01", "9A", "A9", "A23456789012345", "T1-PPC-001", "A-B-C", "X--Y"]
INVALID = [
    "",
    "A234567890123456",
    "pc-01",
    "PC 01",
    "PC_01",
    "ÉCOLE",
    "123",
    "-PC",
    "PC-",
    "-",
]


@pytest.mark.integration
@pytest.mark.parametrize("name", VALID + INVALID)
async def test_the_database_checks_the_same_rule(db_session: AsyncSession, name: str) -> None:
    """Python and the register's CHECK constraint agree on every sample."""
    valid = netbios_problem(name) is None
    assert valid == (name in VALID)
    now = datetime.now(UTC)
    insert = text(
        "INSERT INTO imaging.hostname (name, host_id, reserved_at) VALUES (:name, :host, :now)"
    )
    try:
        async with db_session.begin_nested():
            # The host does not exist: the deferred foreign key is checked at commit only,
            # and this transaction is rolled back.
            await db_session.execute(insert, {"name": name, "host": uuid4(), "now": now})
        accepted = True
    except DBAPIError as exc:  # a CHECK violation, or a value too long for the column
        assert "ck_hostname_netbios" in str(exc) or "value too long" in str(exc)
        accepted = False
    assert accepted == valid
