-- Least-privilege roles for the service's database. The Postgres image runs
-- this once, as the superuser in the new database, on an empty data volume;
-- 20-role-passwords.sh then sets the login passwords. The migrate job logs in
-- as contract_events_migrator, which owns the schema and everything migrations
-- create; the service logs in as contract_events_app, which may read and write
-- rows but not change the schema nor the migration history.
-- test/integration/least-privilege.test.ts runs this file (with unique role
-- names) against a real Postgres and proves both.

CREATE ROLE contract_events_migrator LOGIN;
CREATE ROLE contract_events_app LOGIN;

-- Nobody else may connect or use the schema; the two roles are named explicitly.
DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO contract_events_migrator, contract_events_app', current_database());
END
$$;

ALTER SCHEMA public OWNER TO contract_events_migrator;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO contract_events_app;

-- Tables and sequences the migrator creates later are the app's to use, not to alter.
ALTER DEFAULT PRIVILEGES FOR ROLE contract_events_migrator IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO contract_events_app;
ALTER DEFAULT PRIVILEGES FOR ROLE contract_events_migrator IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO contract_events_app;

-- The migration history is the migrator's alone: it is created here, as the
-- migrator, exactly as src/store/migrations.ts creates it (the test compares
-- the two), so the grant above can be taken back before any migration runs.
SET ROLE contract_events_migrator;
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
);
REVOKE INSERT, UPDATE, DELETE ON "_prisma_migrations" FROM contract_events_app;
RESET ROLE;
