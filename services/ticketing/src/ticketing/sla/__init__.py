"""The SLA clock: targets per priority, business time on each site's calendar, warnings and
breaches."""
