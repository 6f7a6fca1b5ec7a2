from guichet_common.migrations import run_migrations
from notifier.db import metadata
from notifier.settings import NotifierSettings

run_migrations(metadata, NotifierSettings())
