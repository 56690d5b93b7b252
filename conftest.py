"""Shared fixtures for every test suite in the workspace (real broker, real database)."""

pytest_plugins = ["rujukan_platform.testing"]
