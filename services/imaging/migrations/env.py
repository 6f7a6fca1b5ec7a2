from guichet_common.migrations import run_migrations
from imaging.db import metadata
from imaging.settings import ImagingSettings

run_migrations(metadata, ImagingSettings())
