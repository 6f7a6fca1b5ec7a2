from garage.db import metadata
from garage.settings import GarageSettings
from guichet_common.migrations import run_migrations

run_migrations(metadata, GarageSettings())
