"""Agents' inventories: each host's history, what changed, its software compliance."""
