-- First start of the PostgreSQL container (docker-entrypoint-initdb.d): the application role and
-- one database per service. Each service owns its database and is the only one to connect to it
-- (ARCHITECTURE.md); the shared role is a development convenience, not a security boundary.
-- Runs as the superuser through psql, once, when the data volume is empty.

CREATE ROLE cus WITH LOGIN PASSWORD 'cus';

CREATE DATABASE partners OWNER cus;
CREATE DATABASE basket OWNER cus;
CREATE DATABASE cases OWNER cus;
CREATE DATABASE notifications OWNER cus;
CREATE DATABASE evaluation OWNER cus;
CREATE DATABASE web OWNER cus;

-- Polish full-text search and fuzzy matching of names need these in every database; creating them
-- here as the superuser means the migrations never need more than the owner's rights.
\c partners
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

\c basket
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

\c cases
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

\c notifications
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

\c evaluation
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

\c web
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
