import ticketing.main  # noqa: F401  (imports every model: the metadata is complete)
from guichet_common.migrations import run_migrations
from ticketing.db import Base
from ticketing.settings import TicketingSettings

run_migrations(Base.metadata, TicketingSettings())
