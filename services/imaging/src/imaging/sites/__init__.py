"""Sites (schools and offices), their rooms and their host groups."""
