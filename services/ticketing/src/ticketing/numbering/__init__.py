"""Gap-free yearly ticket references (`INC-2026-000123`)."""
