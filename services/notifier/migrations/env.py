import notifier.main  # noqa: F401  (imports every model: the metadata is complete)
from guichet_common.migrations import run_migrations
from notifier.db import Base
from notifier.settings import NotifierSettings

run_migrations(Base.metadata, NotifierSettings())
