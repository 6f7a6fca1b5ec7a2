"""`/api/ticketing/…`: tickets endpoints."""

from __future__ import annotations

from fastapi import APIRouter

import ticketing.numbering.models  # noqa: F401  (its tables are in the metadata)
import ticketing.tickets.models  # noqa: F401

router = APIRouter(tags=["tickets"])
