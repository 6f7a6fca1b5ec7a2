"""`/api/ticketing/…`: priorities endpoints."""

from __future__ import annotations

from fastapi import APIRouter

import ticketing.priorities.models  # noqa: F401  (its tables are in the metadata)

router = APIRouter(tags=["priorities"])
