"""`/api/ticketing/…`: search endpoints."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["search"])
