"""Garage settings: `GARAGE_*` variables override the shared `GUICHET_*` ones."""

from __future__ import annotations

from guichet_common.settings import CommonSettings


class GarageSettings(CommonSettings):
    service_prefix = "GARAGE_"
