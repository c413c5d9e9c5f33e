"""Each service's two database roles, and the bootstrap a superuser runs to make them (ADR 0019).

- `<service>_owner` owns the service's database, its schema and every object in it, and runs the
  migrations. It can log in (the migrations connect as it) but is no superuser and may create
  neither databases nor roles.
- `<service>_app` is what the running service connects as: CONNECT on the database, USAGE on its
  schemas, SELECT/INSERT/UPDATE/DELETE on tables, USAGE on sequences, EXECUTE on functions —
  granted through the owner's default privileges, so every table a later migration creates is
  covered. No DDL, no TRUNCATE, no ownership. A migration may take more away (the append-only
  logs: `revoke_from_app_roles`) or grant one thing more on a named table (evaluation's rebuild).

The bootstrap is idempotent (roles, the database, extensions, default privileges; it sets the
passwords it is given each time) and adopts what an earlier installation left owned by another
role (before ADR 0019 `./run` made the tables as `postgres`, compose as `cus`): such objects pass
to the owner role and the app role gets the ordinary grants on them.

One description of the steps serves two runners: `bootstrap` (asyncpg, for `./run` and the tests)
and `psql_script` (the compose init script in `deploy/postgres/`, passwords from the
environment through psql's `\\getenv`). Each step is a query whose rows are the statements to run
(psql's `\\gexec`), so the two cannot drift apart.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import make_url

EXTENSIONS = ("unaccent", "pg_trgm")


@dataclass(frozen=True)
class ServiceRoles:
    database: str
    owner: str
    app: str

    @classmethod
    def of(cls, service: str, database: str | None = None) -> ServiceRoles:
        return cls(database or service, f"{service}_owner", f"{service}_app")


@dataclass(frozen=True)
class Step:
    """A query whose rows (one text column) are statements to execute, in the maintenance
    database (`in_database=False`) or in the service's own. `:name` placeholders are parameters:
    `database`, `owner`, `app`, `owner_password`, `app_password`."""

    sql: str
    in_database: bool


def _adopt_sql() -> str:
    """Statements that pass objects not owned by the owner role to it (and grant the app role the
    ordinary privileges on adopted tables and sequences). Extension members, system schemas and
    sequences owned by a table (they follow the table) are left alone."""
    return """
WITH user_schemas AS (
    SELECT n.oid, n.nspname FROM pg_namespace n
    WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
), members AS (
    SELECT objid FROM pg_depend WHERE deptype = 'e'
), owned_sequences AS (
    SELECT objid FROM pg_depend
    WHERE classid = 'pg_class'::regclass AND refclassid = 'pg_class'::regclass
      AND deptype IN ('a', 'i')
), relations AS (
    SELECT c.oid, c.relkind, format('%I.%I', s.nspname, c.relname) AS name
    FROM pg_class c JOIN user_schemas s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = :owner)
      AND c.oid NOT IN (SELECT objid FROM members)
      AND NOT (c.relkind = 'S' AND c.oid IN (SELECT objid FROM owned_sequences))
), statements AS (
    SELECT 1 AS pass, format('ALTER SCHEMA %I OWNER TO %I', s.nspname, :owner) AS sql
    FROM user_schemas s JOIN pg_namespace n ON n.oid = s.oid
    WHERE n.nspowner NOT IN (
        SELECT oid FROM pg_roles WHERE rolname IN (:owner, 'pg_database_owner')
    )
      AND s.oid NOT IN (SELECT objid FROM members)
    UNION ALL
    SELECT 2, format('ALTER %s %s OWNER TO %I',
        CASE relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
            WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
        name, :owner)
    FROM relations
    UNION ALL
    SELECT 3, format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :owner)
    FROM pg_proc p JOIN user_schemas s ON s.oid = p.pronamespace
    WHERE p.proowner <> (SELECT oid FROM pg_roles WHERE rolname = :owner)
      AND p.oid NOT IN (SELECT objid FROM members)
    UNION ALL
    SELECT 4, format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, :owner)
    FROM pg_type t JOIN user_schemas s ON s.oid = t.typnamespace
    WHERE t.typtype IN ('e', 'd', 'r', 'c') AND t.typrelid = 0
      AND t.typowner <> (SELECT oid FROM pg_roles WHERE rolname = :owner)
      AND t.oid NOT IN (SELECT objid FROM members)
    UNION ALL
    SELECT 5, format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %I', name, :app)
    FROM relations WHERE relkind IN ('r', 'p', 'v', 'f')
    UNION ALL
    SELECT 5, format('GRANT SELECT ON %s TO %I', name, :app)
    FROM relations WHERE relkind = 'm'
    UNION ALL
    SELECT 5, format('GRANT USAGE ON SEQUENCE %s TO %I', name, :app)
    FROM relations WHERE relkind = 'S'
)
SELECT sql FROM statements ORDER BY pass"""


LOGIN = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"

STEPS: tuple[Step, ...] = (
    # The roles: created when missing, then (always) their attributes and password.
    Step(
        "SELECT format('CREATE ROLE %I', r) FROM unnest(ARRAY[:owner, :app]) AS r"
        " WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r)",
        in_database=False,
    ),
    Step(
        f"SELECT format('ALTER ROLE %I WITH {LOGIN} PASSWORD %L', :owner, :owner_password)"
        f" UNION ALL SELECT format('ALTER ROLE %I WITH {LOGIN} PASSWORD %L', :app, :app_password)",
        in_database=False,
    ),
    # The database, owned by the owner role; nobody but its two roles (and superusers) connects.
    Step(
        "SELECT format('CREATE DATABASE %I OWNER %I', :database, :owner)"
        " WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :database)",
        in_database=False,
    ),
    Step(
        "SELECT format('ALTER DATABASE %I OWNER TO %I', :database, :owner)"
        " UNION ALL SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :database)"
        " UNION ALL SELECT format('GRANT CONNECT ON DATABASE %I TO %I', :database, :app)",
        in_database=False,
    ),
    # Extensions need a superuser (or a trusted extension and CREATE on the database): here.
    Step(
        " UNION ALL ".join(f"SELECT 'CREATE EXTENSION IF NOT EXISTS {e}'" for e in EXTENSIONS),
        in_database=True,
    ),
    # The schema: the owner's; the app may use it; nobody else may create in it.
    Step(
        "SELECT 'REVOKE CREATE ON SCHEMA public FROM PUBLIC'"
        " UNION ALL SELECT format('ALTER SCHEMA public OWNER TO %I', :owner)"
        " UNION ALL SELECT format('GRANT USAGE ON SCHEMA public TO %I', :app)",
        in_database=True,
    ),
    Step(_adopt_sql(), in_database=True),
    # What the owner creates from now on, the app may use as the service does — nothing more.
    Step(
        " UNION ALL ".join(
            f"SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I GRANT {grant} TO %I',"
            " :owner, :app)"
            for grant in (
                "SELECT, INSERT, UPDATE, DELETE ON TABLES",
                "USAGE ON SEQUENCES",
                "EXECUTE ON FUNCTIONS",
                "USAGE ON TYPES",
                "USAGE ON SCHEMAS",
            )
        ),
        in_database=True,
    ),
)

PARAMETERS = ("database", "owner", "app", "owner_password", "app_password")
_PLACEHOLDER = re.compile(r"(?<!:):(" + "|".join(PARAMETERS) + r")\b")


def _numbered(sql: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """`:name` → asyncpg's `$n`, numbering only the parameters the query uses."""
    used: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in used:
            used.append(name)
        return f"${used.index(name) + 1}::text"

    return _PLACEHOLDER.sub(number, sql), [values[name] for name in used]


async def _run_steps(conn: asyncpg.Connection, values: dict[str, str], in_database: bool) -> None:
    for step in STEPS:
        if step.in_database == in_database:
            sql, arguments = _numbered(step.sql, values)
            for (statement,) in await conn.fetch(sql, *arguments):
                await conn.execute(statement)


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def bootstrap(
    admin_url: str, roles: ServiceRoles, owner_password: str, app_password: str
) -> None:
    """Make (or bring up to date) the service's roles and database. `admin_url`: a superuser's
    URL of any database on the server (the maintenance database `postgres` will do)."""
    values = {
        "database": roles.database,
        "owner": roles.owner,
        "app": roles.app,
        "owner_password": owner_password,
        "app_password": app_password,
    }
    conn = await asyncpg.connect(_libpq(admin_url))
    try:
        await _run_steps(conn, values, in_database=False)
    finally:
        await conn.close()
    conn = await asyncpg.connect(_libpq(_with_database(admin_url, roles.database)))
    try:
        await _run_steps(conn, values, in_database=True)
    finally:
        await conn.close()


def role_url(admin_url: str, database: str, role: str, password: str) -> str:
    """The URL of `database` on the server of `admin_url`, as `role`."""
    return (
        make_url(admin_url)
        .set(database=database, username=role, password=password)
        .render_as_string(hide_password=False)
    )


def _libpq(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def new_password() -> str:
    return secrets.token_urlsafe(24)  # URL-safe: it goes into DATABASE_URL as it is


# --- the psql form (docker-entrypoint-initdb.d) --------------------------------------------------


def password_variable(role: str) -> str:
    """The environment variable that carries a role's password into the init script."""
    return f"{role.upper()}_PASSWORD"


def psql_script(services: Sequence[str]) -> str:
    lines = [
        "-- Generated by `python -m shared.db.roles --psql` (ADR 0019); do not edit by hand:",
        "-- tests/test_deploy_config.py checks that it is what the bootstrap would run.",
        "-- Runs once, as the superuser, when the PostgreSQL volume is empty. For each service:",
        "-- roles <service>_owner (owns the database, runs the migrations) and <service>_app (what",
        "-- the service connects as), passwords from <ROLE>_PASSWORD in the environment.",
        "\\set ON_ERROR_STOP on",
    ]
    for service in services:
        roles = ServiceRoles.of(service)
        lines += ["", f"-- {service}"]
        for role in (roles.owner, roles.app):
            lines.append(f"\\getenv {role}_password {password_variable(role)}")
        literals = {
            "database": _literal(roles.database),
            "owner": _literal(roles.owner),
            "app": _literal(roles.app),
            "owner_password": f":'{roles.owner}_password'",
            "app_password": f":'{roles.app}_password'",
        }
        in_database = False
        lines.append("\\c postgres")
        for step in STEPS:
            if step.in_database and not in_database:
                lines.append(f"\\c {roles.database}")
                in_database = True
            sql = _substitute(step.sql.strip(), literals)
            lines.append(sql + " \\gexec")
    return "\n".join(lines) + "\n"


def _substitute(sql: str, literals: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: literals[match.group(1)], sql)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.db.roles", description=__doc__)
    parser.add_argument("services", nargs="+")
    parser.add_argument("--psql", action="store_true", help="print the psql init script")
    parser.add_argument(
        "--env", action="store_true", help="print <ROLE>_PASSWORD=<new password> lines (.env)"
    )
    parser.add_argument("--admin-url", help="a superuser's URL (to run the bootstrap)")
    args = parser.parse_args(argv)
    if args.psql:
        sys.stdout.write(psql_script(args.services))
        return 0
    if args.env:
        for service in args.services:
            roles = ServiceRoles.of(service)
            for role in (roles.owner, roles.app):
                print(f"{password_variable(role)}={new_password()}")
        return 0
    if not args.admin_url:
        parser.error("--admin-url, --psql or --env")
    for service in args.services:
        roles = ServiceRoles.of(service)
        owner_password, app_password = new_password(), new_password()
        asyncio.run(bootstrap(args.admin_url, roles, owner_password, app_password))
        print(f"{password_variable(roles.owner)}={owner_password}")
        print(f"{password_variable(roles.app)}={app_password}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# --- for migrations -------------------------------------------------------------------------------


def for_app_roles(statement: str) -> str:
    """A DO block that runs `statement` once for each role the current user (in a migration: the
    owner role) grants its new tables to by default — the app role the bootstrap set up — with
    `%s` in `statement` standing for that role. Where nobody ran the bootstrap (one URL for
    migrations and service) there is no such role and the block does nothing."""
    literal = statement.replace("'", "''")
    return f"""DO $$
DECLARE
    app text;
BEGIN
    FOR app IN
        SELECT DISTINCT a.grantee::regrole::text
        FROM pg_default_acl d, aclexplode(d.defaclacl) a
        WHERE d.defaclrole = current_user::text::regrole AND d.defaclobjtype = 'r'
          AND a.grantee <> 0 AND a.grantee <> d.defaclrole
    LOOP
        EXECUTE format('{literal}', app);
    END LOOP;
END $$"""
