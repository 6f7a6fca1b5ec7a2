"""Hosts due for renewal by age (from their purchase date), as JSON or a spreadsheet."""
