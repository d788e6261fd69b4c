"""Where the read models live (schema ``projection``) and how a server queries them: pooled connections in worker
threads, so an aiohttp handler never blocks its event loop."""

from __future__ import annotations

import asyncio
from typing import Callable, TypeVar

import psycopg2
import psycopg2.extensions
import psycopg2.pool

from aduan.kernel.config import Settings

SCHEMA = "projection"
T = TypeVar("T")


class ReadModels:
    """Runs read-model queries on pooled connections in worker threads."""

    def __init__(self, settings: Settings, connections: int = 4) -> None:
        self._pool = psycopg2.pool.ThreadedConnectionPool(1, connections, settings.dsn, application_name="aduan")

    async def run(self, query: Callable[[psycopg2.extensions.connection], T]) -> T:
        """``query(conn)`` on a pooled autocommit connection; a broken connection is discarded."""
        return await asyncio.get_running_loop().run_in_executor(None, self._run, query)

    def _run(self, query: Callable[[psycopg2.extensions.connection], T]) -> T:
        conn = self._pool.getconn()
        broken = False
        try:
            conn.autocommit = True
            return query(conn)
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            broken = True
            raise
        finally:
            self._pool.putconn(conn, close=broken or conn.closed)

    def close(self) -> None:
        self._pool.closeall()
