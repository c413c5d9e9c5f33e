"""Root pytest configuration: import the real `shared` package before pytest's importlib mode can
mistake the folder shared/ for it, and load the platform's fixtures."""

import shared  # noqa: F401

pytest_plugins = ["shared.testing.plugin"]
