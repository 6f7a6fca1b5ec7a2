"""The ticket lifecycle: explicit actions (assign, plan, pend, solve, close…) and their events."""
