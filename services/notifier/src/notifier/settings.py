"""Notifier settings: `NOTIFIER_*` variables override the shared `GUICHET_*` ones."""

from __future__ import annotations

from guichet_common.settings import CommonSettings


class NotifierSettings(CommonSettings):
    service_prefix = "NOTIFIER_"
