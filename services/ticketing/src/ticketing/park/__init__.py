"""The park as ticketing knows it: a read model of imaging's sites, rooms and hosts, built
from imaging's events (never from its tables), each row kept at the highest version seen."""
