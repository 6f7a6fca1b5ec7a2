"""Imaging settings: `IMAGING_*` variables override the shared `GUICHET_*` ones."""

from __future__ import annotations

from guichet_common.settings import CommonSettings


class ImagingSettings(CommonSettings):
    service_prefix = "IMAGING_"
