import garage.main  # noqa: F401  (imports every model: the metadata is complete)
from garage.db import Base
from garage.settings import GarageSettings
from guichet_common.migrations import run_migrations

run_migrations(Base.metadata, GarageSettings())
