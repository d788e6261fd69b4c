"""One unit of a processor's work in one PostgreSQL transaction: its messages acknowledged before the commit, its
metrics counted after it (:class:`aduan.processing.outputs.Outputs`)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import psycopg2.extensions

from aduan.kernel import db
from aduan.kernel.config import Settings
from aduan.processing.outputs import Outputs


class Transactions:
    """A processor's connection to PostgreSQL (opened again after a failure) and the outputs of its work."""

    def __init__(self, settings: Settings, outputs: Outputs) -> None:
        self.settings = settings
        self.outputs = outputs
        self._conn: psycopg2.extensions.connection | None = None

    @contextmanager
    def unit(self) -> Iterator[psycopg2.extensions.cursor]:
        """A cursor in a new transaction; on leaving, the outputs are acknowledged, the transaction committed and
        the metrics counted. Any failure rolls everything back, counts nothing and propagates (to be retried)."""
        if self._conn is None or self._conn.closed:
            self._conn = db.connect(self.settings)
        conn = self._conn
        try:
            with conn.cursor() as cur:
                yield cur
            self.outputs.flush()
            conn.commit()
        except BaseException:
            self.outputs.discard()
            if not conn.closed:
                conn.rollback()
            raise
        self.outputs.committed()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
