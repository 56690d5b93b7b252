"""The page tests run against a real PostgreSQL (``pytestmark = pytest.mark.usefixtures(
"workbench_database")``): a database of their module's, migrated by the workbench's own
``migrate``, named to the workbench by ``RUJUKAN_WORKBENCH_DATABASE_URL`` while the module runs
(and only then: other tests' processes must not inherit it)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from rujukan_platform.testing import Servers, create_database, drop_database
from rujukan_workbench.__main__ import migrate

VARIABLE = "RUJUKAN_WORKBENCH_DATABASE_URL"


@pytest.fixture(scope="module")
async def workbench_database(servers: Servers) -> AsyncIterator[str]:
    name = await create_database(servers, prefix="wb")
    dsn = f"{servers.pg_url}/{name}"
    os.environ[VARIABLE] = dsn
    try:
        await asyncio.to_thread(migrate)
        yield dsn
    finally:
        os.environ.pop(VARIABLE, None)
        await drop_database(servers, name)
