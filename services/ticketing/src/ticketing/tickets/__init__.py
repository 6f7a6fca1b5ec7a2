"""Tickets: intake, reading, editing with a history of who changed what, checklists."""
