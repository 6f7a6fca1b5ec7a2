import imaging.main  # noqa: F401  (imports every model: the metadata is complete)
from guichet_common.migrations import run_migrations
from imaging.db import Base
from imaging.settings import ImagingSettings

run_migrations(Base.metadata, ImagingSettings())
