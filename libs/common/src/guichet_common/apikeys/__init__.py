"""API keys of machine clients (imaging agents, department systems): created by an admin
at `/api/<service>/api-keys`, stored hashed, scoped `<service>:read|write|agent`, optionally
limited to some sites, revocable."""
