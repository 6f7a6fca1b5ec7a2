"""The hosts tests use the naming tests' kit: sites of their own, policies, hosts."""

from __future__ import annotations

from typing import Any

import pytest

from ..naming.conftest import Fleet


@pytest.fixture
def fleet(kit: Any) -> Fleet:
    return Fleet(kit)
