-- Runs once, on the first start of the compose PostgreSQL: one database per service (and the
-- workbench's sessions), as
-- deploy/local/postgres.sh creates them (PG_DATABASES). The user is POSTGRES_USER (rujukan).
CREATE DATABASE intake OWNER rujukan;
CREATE DATABASE registry OWNER rujukan;
CREATE DATABASE router OWNER rujukan;
CREATE DATABASE notifications OWNER rujukan;
CREATE DATABASE workbench OWNER rujukan;
