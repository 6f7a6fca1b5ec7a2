"""`/api/ticketing/…`: followups endpoints."""

from __future__ import annotations

from fastapi import APIRouter

import ticketing.followups.models  # noqa: F401  (its tables are in the metadata)

router = APIRouter(tags=["followups"])
