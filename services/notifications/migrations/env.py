"""Alembic environment of the notifications database."""

from alembic import context

from notifications.adapters.orm import metadata
from shared.db.migrations import run_env

run_env(metadata, context.config, context.is_offline_mode())
