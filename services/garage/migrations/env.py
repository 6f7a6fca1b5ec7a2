from guichet_common.migrations import run_migrations

from garage.db import metadata
from garage.settings import GarageSettings

run_migrations(metadata, GarageSettings())
