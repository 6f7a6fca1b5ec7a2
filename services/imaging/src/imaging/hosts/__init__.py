"""The park's hosts: registered and named, changed, renamed, retired; their MACs and groups."""
