"""The session store on a real PostgreSQL: a session reads back as kept, its tokens sealed at
rest; one past its expiry is no one's and goes when someone next signs in; one ended is gone."""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator

import pytest

from rujukan_platform.auth import Principal
from rujukan_workbench.cookies import Session
from rujukan_workbench.sessions import SessionStore, sessions
from rujukan_workbench.settings import WorkbenchSettings

pytestmark = pytest.mark.usefixtures("workbench_database")
OFFICER = Principal(subject="petugas-pkh", role="agency", programs=["PKH"])


@pytest.fixture
async def store() -> AsyncIterator[SessionStore]:
    settings = WorkbenchSettings(environment="test")
    store = SessionStore.at(settings.dsn, settings.sealer)
    try:
        yield store
    finally:
        await store.close()


def signed_in(expires_in: float) -> Session:
    return Session(
        principal=OFFICER, token="h.c.s", id_token="i.d.t", expires_at=time.time() + expires_in
    )


async def stored_tokens(store: SessionStore) -> list[str]:
    async with store._engine.connect() as db:
        return [row.token for row in (await db.execute(sessions.select())).all()]


async def test_a_session_reads_back_with_its_tokens_sealed_at_rest(store: SessionStore) -> None:
    session = signed_in(3600)
    await store.keep(session)
    found = await store.find(session.nonce)
    assert found.signed_in and found.principal == OFFICER
    assert (found.token, found.id_token) == ("h.c.s", "i.d.t")
    assert "h.c.s" not in await stored_tokens(store)
    assert not (await store.find(Session().nonce)).signed_in  # an id no one signed in with

    await store.end(session.nonce)
    assert not (await store.find(session.nonce)).signed_in


async def test_an_expired_session_is_no_ones_and_is_pruned_at_the_next_sign_in(
    store: SessionStore,
) -> None:
    old = signed_in(-1)
    await store.keep(old)
    assert not (await store.find(old.nonce)).signed_in
    before = len(await stored_tokens(store))
    await store.keep(signed_in(3600))
    assert len(await stored_tokens(store)) == before  # the expired one went as the new one came


async def test_a_session_whose_key_left_the_settings_signs_its_person_in_again(
    store: SessionStore,
) -> None:
    """A key dropped after a rotation, or an altered row: the page asks the person to sign in
    again instead of failing every request of theirs."""
    session = signed_in(3600)
    await store.keep(session)
    rotated = WorkbenchSettings(
        environment="test",
        data_keys={"2027-01": base64.b64encode(b"n" * 32).decode()},
        data_key_id="2027-01",
    )
    other = SessionStore.at(rotated.dsn, rotated.sealer)
    try:
        assert not (await other.find(session.nonce)).signed_in
    finally:
        await other.close()
    assert (await store.find(session.nonce)).signed_in  # its own key still opens it
