#!/bin/sh
# Container entrypoint of every Python service (deploy/Dockerfile): migrate the service's own
# database to head, then replace this shell with the ASGI server so it gets the signals.
#
# SERVICE and PORT come from the image (build args); DATABASE_URL from the environment.
# With arguments (`docker compose run partners python -m ...`) those run instead of the server,
# after the migrations. SKIP_MIGRATIONS=1 skips them (e.g. when a separate job runs them).
set -eu

: "${SERVICE:?SERVICE is not set (build the image with --build-arg SERVICE=<name>)}"
: "${PORT:?PORT is not set}"

if [ "${SKIP_MIGRATIONS:-0}" != "1" ] && [ -d "services/${SERVICE}/migrations" ]; then
    : "${DATABASE_URL:?DATABASE_URL is not set}"
    echo "migrating the ${SERVICE} database to head" >&2
    # shared.db.migrations sets script_location and the (asyncpg) URL itself; alembic.ini only
    # carries the logging and file-name settings.
    python -c "import os; from pathlib import Path; from shared.db.migrations import upgrade; upgrade(Path('services/' + os.environ['SERVICE']), os.environ['DATABASE_URL'])"
fi

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

exec uvicorn --factory "${SERVICE}.bootstrap:app" \
    --host 0.0.0.0 --port "${PORT}" --timeout-graceful-shutdown 20
