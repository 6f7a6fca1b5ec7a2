"""Followups: the public and private thread of a ticket."""
