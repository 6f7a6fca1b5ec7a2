"""The park in and out of spreadsheets (CSV import with a dry run, export), and the park
re-sent as events for consumers that came later."""
