"""Signed-in sessions, kept server-side in PostgreSQL (``workbench_sessions``): the cookie holds
only a random session id, so signing out ends a session for good (a copied cookie finds no row),
the cookie stays small whatever the provider's token, and every workbench replica, and one
restarted, reads the same sessions.

A row is keyed by the SHA-256 of the id (whoever reads the table cannot present its cookies);
the tokens in it are sealed at rest (``rujukan_platform.sealing``, in the session id's context);
a row past its ``expires_at`` is never read and is pruned as people sign in.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import Column, MetaData, Table, Text, delete, insert, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from rujukan_platform.auth import Principal
from rujukan_platform.db import NAMING, make_engine, time_column
from rujukan_platform.logging import get_logger
from rujukan_platform.sealing import Sealer, SealError
from rujukan_workbench.cookies import Session

log = get_logger(__name__)

metadata = MetaData(naming_convention=NAMING)
sessions = Table(
    "workbench_sessions",
    metadata,
    Column("key", Text, primary_key=True),
    Column("principal", JSONB, nullable=False),
    Column("token", Text, nullable=False),
    Column("id_token", Text, nullable=True),
    time_column("expires_at", nullable=False, index=True),
    time_column("created_at", nullable=False, now=True),
)


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """The signed-in sessions, by the id their cookie carries (``Session.nonce``)."""

    def __init__(self, engine: AsyncEngine, sealer: Sealer) -> None:
        self._engine = engine
        self._sealer = sealer

    @classmethod
    def at(cls, dsn: str, sealer: Sealer) -> SessionStore:
        return cls(make_engine(dsn, pool_size=5), sealer)

    async def close(self) -> None:
        await self._engine.dispose()

    async def ping(self) -> None:
        """The database answers (``/readyz``): without it nobody can sign in or stay in."""
        async with self._engine.connect() as db:
            await db.execute(text("SELECT 1"))

    def _context(self, session_id: str) -> str:
        return f"workbench_sessions:{_key(session_id)}"

    async def keep(self, session: Session) -> None:
        """Store a session just signed in (and drop the expired ones)."""
        assert session.principal is not None and session.token is not None
        assert session.expires_at is not None
        context = self._context(session.nonce)
        id_token = session.id_token
        async with self._engine.begin() as db:
            await db.execute(delete(sessions).where(sessions.c.expires_at < datetime.now(UTC)))
            await db.execute(
                insert(sessions).values(
                    key=_key(session.nonce),
                    principal=session.principal.model_dump(mode="json"),
                    token=self._sealer.seal(session.token, context=context),
                    id_token=self._sealer.seal(id_token, context=context) if id_token else None,
                    expires_at=datetime.fromtimestamp(session.expires_at, UTC),
                )
            )

    async def find(self, session_id: str) -> Session:
        """The session of this id: signed in while its row is there and fresh, else a session
        with no one in it (the id still draws the CSRF tokens of the sign-in form)."""
        async with self._engine.connect() as db:
            row = (
                await db.execute(
                    select(sessions).where(
                        sessions.c.key == _key(session_id),
                        sessions.c.expires_at > datetime.now(UTC),
                    )
                )
            ).first()
        if row is None:
            return Session(nonce=session_id)
        context = self._context(session_id)
        try:
            token = self._sealer.open(row.token, context=context)
            id_token = self._sealer.open(row.id_token, context=context) if row.id_token else None
        except SealError:  # its key left the settings, or the row was altered: sign in again
            log.warning("a stored session does not open; its person signs in again")
            return Session(nonce=session_id)
        return Session(
            nonce=session_id,
            principal=Principal.model_validate(row.principal),
            token=token,
            id_token=id_token,
            expires_at=row.expires_at.timestamp(),
        )

    async def end(self, session_id: str) -> None:
        """Signed out (or refused by the services): the row goes, and with it the cookie's use."""
        async with self._engine.begin() as db:
            await db.execute(delete(sessions).where(sessions.c.key == _key(session_id)))
