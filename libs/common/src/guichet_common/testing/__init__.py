"""Test harness shared by every service: real PostgreSQL and RabbitMQ, fault injection."""
