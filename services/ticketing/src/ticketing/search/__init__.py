"""Lists, full-text search and CSV exports of tickets, scoped to what the caller may see."""
