"""Interventions: on-site visits with their signed sheet, remote sessions with consent."""
