from guichet_common.migrations import run_migrations
from ticketing.db import metadata
from ticketing.settings import TicketingSettings

run_migrations(metadata, TicketingSettings())
