-- Guichet: one database, one schema and one login role per service.
--
-- Run once by the postgres image on an empty data directory (mounted into
-- /docker-entrypoint-initdb.d), connected as the superuser to the database
-- named by POSTGRES_DB. For another server, run it with psql as a superuser
-- against the `guichet` database, after changing the passwords below.
--
-- DEV ONLY: every password equals the role name. Never use these outside a
-- developer machine.

\set ON_ERROR_STOP on

-- Nobody gets anything on this database or on the public schema by default.
DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE ROLE ticketing LOGIN PASSWORD 'ticketing';
CREATE ROLE garage    LOGIN PASSWORD 'garage';
CREATE ROLE imaging   LOGIN PASSWORD 'imaging';
CREATE ROLE notifier  LOGIN PASSWORD 'notifier';

-- Each role may connect (and use session-private temporary tables), and owns
-- exactly one schema. No role is granted anything in another role's schema,
-- nor CREATE on the database: a role cannot make schemas, so migrations must
-- not run CREATE SCHEMA (even IF NOT EXISTS, which PostgreSQL checks against
-- the database privilege before it looks for the schema).
DO $$
DECLARE
    svc text;
BEGIN
    FOREACH svc IN ARRAY ARRAY['ticketing', 'garage', 'imaging', 'notifier'] LOOP
        EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), svc);
        EXECUTE format('CREATE SCHEMA %I AUTHORIZATION %I', svc, svc);
        EXECUTE format('ALTER ROLE %I SET search_path = %I', svc, svc);
    END LOOP;
END
$$;
