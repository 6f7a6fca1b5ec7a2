"""The four services as the runner and CLI see them, imported only when used."""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config
    from fastapi import FastAPI

    from guichet_common.runtime import Resources, ServiceDefinition


@dataclass(frozen=True)
class ServiceEntry:
    name: str

    @property
    def main(self) -> ModuleType:
        """`<service>.main`, imported now (it imports the whole service)."""
        return importlib.import_module(f"{self.name}.main")

    def definition(self) -> ServiceDefinition[Any, Any]:
        definition: ServiceDefinition[Any, Any] = self.main.definition()
        return definition

    def create_app(self, resources: Resources | None = None) -> FastAPI:
        app: FastAPI = self.main.create_app(resources=resources)
        return app

    @property
    def root(self) -> Path:
        """`services/<name>/`: alembic.ini, migrations/, the committed contracts (found
        without importing the service)."""
        spec = importlib.util.find_spec(self.name)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(self.name)
        return Path(spec.origin).resolve().parents[2]

    def alembic_config(self, database_url: str) -> Config:
        from alembic.config import Config

        config = Config(str(self.root / "alembic.ini"))
        config.set_main_option("script_location", str(self.root / "migrations"))
        config.attributes["database_url"] = database_url
        return config


SERVICES: tuple[ServiceEntry, ...] = tuple(
    ServiceEntry(name) for name in ("ticketing", "garage", "imaging", "notifier")
)


def service(name: str) -> ServiceEntry:
    for entry in SERVICES:
        if entry.name == name:
            return entry
    raise KeyError(f"unknown service {name!r}: {', '.join(s.name for s in SERVICES)}")
