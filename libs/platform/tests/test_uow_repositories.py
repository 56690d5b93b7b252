"""A unit of work opens every repository its class declares, on its own session."""

from __future__ import annotations

from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_platform.uow import Repository, UnitOfWork


class Notes(Repository):
    @property
    def session(self) -> AsyncSession:
        return self._session


class Tags(Repository):
    pass


class NotesUnitOfWork(UnitOfWork):
    notes: Notes
    tags: Tags
    #: not a repository: left alone
    label: str = "notes"


def test_each_declared_repository_is_opened_on_the_unit_s_session() -> None:
    session = cast(AsyncSession, object())
    uow = NotesUnitOfWork.joining(session)
    assert isinstance(uow.notes, Notes) and uow.notes.session is session
    assert isinstance(uow.tags, Tags)
    assert uow.label == "notes"


def test_a_unit_without_repositories_opens_none() -> None:
    uow = UnitOfWork.joining(cast(AsyncSession, object()))
    assert not any(isinstance(v, Repository) for v in vars(uow).values())
