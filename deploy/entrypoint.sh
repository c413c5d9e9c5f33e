#!/bin/sh
# Container entrypoint of every Python service (deploy/Dockerfile): migrate the service's own
# database to head, then replace this shell with the ASGI server so it gets the signals.
#
# SERVICE and PORT come from the image (build args); DATABASE_URL (the service's app role) and
# MIGRATION_DATABASE_URL (its owner role, ADR 0019) from the environment. The migrations run
# with MIGRATION_DATABASE_URL, or DATABASE_URL when it is unset (one role for both: a setup
# without the roles bootstrap). The server gets DATABASE_URL only: MIGRATION_DATABASE_URL is
# removed from its environment before the exec.
# With arguments (`docker compose run partners python -m ...`) those run instead of the server,
# after the migrations. SKIP_MIGRATIONS=1 skips them (e.g. when a separate job runs them, which
# keeps the owner's password out of the serving containers altogether).
set -eu

: "${SERVICE:?SERVICE is not set (build the image with --build-arg SERVICE=<name>)}"
: "${PORT:?PORT is not set}"

if [ "${SKIP_MIGRATIONS:-0}" != "1" ] && [ -d "services/${SERVICE}/migrations" ]; then
    : "${DATABASE_URL:?DATABASE_URL is not set}"
    echo "migrating the ${SERVICE} database to head" >&2
    # shared.db.migrations sets script_location and the (asyncpg) URL itself; alembic.ini only
    # carries the logging and file-name settings.
    MIGRATE_URL="${MIGRATION_DATABASE_URL:-$DATABASE_URL}" python -c "import os; from pathlib import Path; from shared.db.migrations import upgrade; upgrade(Path('services/' + os.environ['SERVICE']), os.environ['MIGRATE_URL'])"
fi
unset MIGRATION_DATABASE_URL

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

exec uvicorn --factory "${SERVICE}.bootstrap:app" \
    --host 0.0.0.0 --port "${PORT}" --timeout-graceful-shutdown 20
