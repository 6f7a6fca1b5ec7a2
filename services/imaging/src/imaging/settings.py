"""Imaging settings: `IMAGING_*` variables override the shared `GUICHET_*` ones."""

from __future__ import annotations

from guichet_common.settings import CommonSettings

# Its schema, API prefix, API-key scopes and routing keys.
SERVICE = "imaging"


class ImagingSettings(CommonSettings):
    service_prefix = "IMAGING_"
