"""`/api/ticketing/…`: attachments endpoints."""

from __future__ import annotations

from fastapi import APIRouter

import ticketing.attachments.models  # noqa: F401  (its tables are in the metadata)

router = APIRouter(tags=["attachments"])
