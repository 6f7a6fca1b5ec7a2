"""Technicians and support groups: who tickets are assigned to, and how to reach them."""
