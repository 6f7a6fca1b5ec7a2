"""The category tree: what each category asks at intake and the checklist it brings."""
