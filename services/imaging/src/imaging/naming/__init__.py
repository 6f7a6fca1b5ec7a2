"""Naming policies (hostname templates per site and kind) and the register of hostnames."""
