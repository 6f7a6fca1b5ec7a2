"""The four services as the runner and CLI see them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from alembic.config import Config
from fastapi import FastAPI

import garage.main
import imaging.main
import notifier.main
import ticketing.main
from guichet_common.runtime import Resources, ServiceDefinition


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    module: ModuleType

    @property
    def definition(self) -> Callable[[], ServiceDefinition[Any, Any]]:
        build: Callable[[], ServiceDefinition[Any, Any]] = self.module.definition
        return build

    def create_app(self, resources: Resources | None = None) -> FastAPI:
        app: FastAPI = self.module.create_app(resources=resources)
        return app

    @property
    def root(self) -> Path:
        """`services/<name>/`: alembic.ini, migrations/, the committed contracts."""
        return Path(self.module.__file__ or "").resolve().parents[2]

    def alembic_config(self, database_url: str) -> Config:
        config = Config(str(self.root / "alembic.ini"))
        config.set_main_option("script_location", str(self.root / "migrations"))
        config.attributes["database_url"] = database_url
        return config


SERVICES: tuple[ServiceEntry, ...] = tuple(
    ServiceEntry(m.__name__.split(".")[0], m)
    for m in (ticketing.main, garage.main, imaging.main, notifier.main)
)


def service(name: str) -> ServiceEntry:
    for entry in SERVICES:
        if entry.name == name:
            return entry
    raise KeyError(f"unknown service {name!r}: {', '.join(s.name for s in SERVICES)}")
