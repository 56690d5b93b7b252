"""Notifications' repositories: all the SQL of the write side, on the unit of work's session.

* ``ContactRepository``: residents' consented contacts, sealed at rest (``adapters/contacts``
  seals and opens them; this repository only ever holds sealed values).
* ``NewsRepository``: residents' news gathered per visit until it is summed up in one
  message (``service_layer/digests.py``).
* ``DeliveryRepository``: deliveries and their attempts, with the dispatcher's claim and lease
  queries (``service_layer/dispatch.py`` says why they are shaped so).
* ``InboxRepository`` and ``AlertRepository``: the operators' inbox, written by the inbox
  channel and by Alertmanager's webhook.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple
from uuid import UUID, uuid4

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Interval,
    Update,
    bindparam,
    case,
    column,
    delete,
    exists,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert

from rujukan_notifications.adapters.tables import (
    ID_TYPE,
    contacts,
    deliveries,
    delivery_attempts,
    inbox_messages,
    resident_news,
    resident_visits,
    silenced_households,
)
from rujukan_notifications.domain.audience import Audience, Planned
from rujukan_notifications.domain.channels import CHANNELS, PHONE_CHANNELS, ChannelName
from rujukan_notifications.domain.deliveries import FinalState, Outcome
from rujukan_platform.db import any_of, rows_parameters, rows_table
from rujukan_platform.uow import Repository


class SealedContact(NamedTuple):
    """A household's consented contact as stored: e-mail and phone sealed (or absent)."""

    household_id: UUID
    language: str
    email: str | None
    phone: str | None
    #: the channels consented to, decided when the intake arrived
    channels: list[ChannelName]


class ContactChange(NamedTuple):
    """What an ``intake.contacts`` event says of a household's contact: kept (consented to at
    ``given_at``), or, ``contact`` None, forgotten."""

    household_id: UUID
    given_at: datetime
    contact: SealedContact | None


# A contacts batch's three statements, built once (bench/results/statement_build.md).
_LIFTED = rows_table(
    column("household_id", silenced_households.c.household_id.type),
    column("given_at", silenced_households.c.withdrawn_at.type),
    name="lifted",
    rows=[],
)
#: a contact given after a withdrawal ends it
_LIFT_SILENCES = delete(silenced_households).where(
    silenced_households.c.household_id == _LIFTED.c.household_id,
    silenced_households.c.withdrawn_at < _LIFTED.c.given_at,
)
_FORGET_CONTACTS = contacts.delete().where(contacts.c.household_id == any_of("forgotten", ID_TYPE))
_KEEPING = insert(contacts)
_KEEP_CONTACTS = _KEEPING.on_conflict_do_update(
    index_elements=["household_id"],
    set_={
        c: getattr(_KEEPING.excluded, c)
        for c in ("language", "email", "phone", "channels", "updated_at")
    },
)


#: the contacts of a dispatcher's claimed residents (every look that claims some)
_CONTACTS_OF = select(*(contacts.c[f] for f in SealedContact._fields)).where(
    contacts.c.household_id == any_of("households", ID_TYPE)
)


class ContactRepository(Repository):
    async def forget(self, household_id: UUID) -> None:
        await self._session.execute(
            contacts.delete().where(contacts.c.household_id == household_id)
        )

    async def change(self, changes: Sequence[ContactChange]) -> None:
        """Apply a consumer batch's changes in order, in three statements whatever their
        number: each household ends with its last change (kept: inserted or replaced;
        forgotten: deleted), and every kept one ends a withdrawal of consent to be told made
        before it was given (``silenced_households``)."""
        last = {change.household_id: change for change in changes}
        lifted: dict[UUID, datetime] = {}
        for change in changes:
            if change.contact is not None:
                at = lifted.get(change.household_id)
                lifted[change.household_id] = (
                    change.given_at if at is None else max(at, change.given_at)
                )
        if lifted:
            await self._session.execute(
                _LIFT_SILENCES,
                rows_parameters(_LIFTED, list(lifted.items())),
            )
        forgotten = [c.household_id for c in last.values() if c.contact is None]
        if forgotten:
            await self._session.execute(_FORGET_CONTACTS, {"forgotten": forgotten})
        now = datetime.now(UTC)
        kept = [c.contact._asdict() | {"updated_at": now} for c in last.values() if c.contact]
        if kept:  # the rows as parameters: the statement is compiled once (insertmanyvalues)
            await self._session.execute(_KEEP_CONTACTS, kept)

    async def of_households(self, households: Collection[UUID]) -> dict[UUID, SealedContact]:
        if not households:
            return {}
        rows = await self._session.execute(_CONTACTS_OF, {"households": list(households)})
        return {row.household_id: SealedContact._make(row) for row in rows}


class Claimed(NamedTuple):
    """A delivery a dispatcher claimed: what sending it needs, and the claim (whose lease)."""

    id: UUID
    referral_id: UUID
    household_id: UUID
    audience: Audience
    channel: ChannelName
    #: operators' inbox and agencies' program code; residents' contact stays in ``contacts``
    address: str | None
    template: str
    #: the template's variables, JSON
    context: str
    #: every step that counted so far; ``waits`` of them waited for a resident's contact
    attempts: int
    waits: int
    next_attempt_at: datetime
    lease_until: datetime
    #: the event or visit message it was planned from (its siblings share it)
    source_event_id: UUID
    #: who held the claim before: set when the row was taken over from a sender that died
    previous_claimant: str | None


class Settled(NamedTuple):
    """A dispatch step's result for a claimed delivery (``DeliveryRepository.settle``)."""

    id: UUID
    #: the claim's lease, as claimed: only that claim may write the result
    lease_until: datetime
    state: Literal["pending"] | FinalState
    attempts: int
    last_error: str | None
    #: set: back to ``pending`` until then; None: the delivery ends in ``state``
    next_attempt_at: datetime | None = None
    waited: bool = False
    recipient_masked: str | None = None
    sent_at: datetime | None = None


_SETTLED = [f for f in Settled._fields if f != "waited"]
_RESULTS = rows_table(
    *(column(name, deliveries.c[name].type) for name in _SETTLED),
    column("waited", Integer()),
    column("final", Boolean()),
    name="given",
    rows=[],
)


def _settle() -> Update:
    """Each result written where its claimant still holds the row with the same lease; built
    once (built for each record batch with its rows bound in, it cost more than compiling it:
    bench/results/statement_build.md)."""
    given, d = _RESULTS, deliveries.c
    return (
        deliveries.update()
        .where(
            d.id == given.c.id,
            d.state == "sending",
            d.claimed_by == bindparam("claimant"),
            d.lease_until == given.c.lease_until,
        )
        .values(
            state=given.c.state,
            attempts=given.c.attempts,
            last_error=given.c.last_error,
            next_attempt_at=func.coalesce(given.c.next_attempt_at, d.next_attempt_at),
            waits=d.waits + given.c.waited,
            recipient_masked=case(
                (given.c.final, given.c.recipient_masked), else_=d.recipient_masked
            ),
            sent_at=case((given.c.final, given.c.sent_at), else_=d.sent_at),
            claimed_by=None,
            lease_until=None,
        )
        .returning(d.id)
    )


_SETTLE = _settle()


class Attempt(NamedTuple):
    """One dispatch step of a delivery (a ``delivery_attempts`` row)."""

    delivery_id: UUID
    #: the delivery's attempt count after this step
    attempt: int
    outcome: Outcome
    at: datetime
    provider: str | None = None
    detail: str | None = None
    duration_ms: int | None = None


class PhoneSend(NamedTuple):
    household_id: UUID
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    """What a dispatcher asks for: up to ``limit`` rows, held by ``claimant`` until
    ``lease_until``."""

    claimant: str
    now: datetime
    lease_until: datetime
    limit: int


_CLAIMED = [deliveries.c[f] for f in Claimed._fields if f != "previous_claimant"]
#: rows a multi-row statement carries at the most (PostgreSQL takes 32,767 parameters)
_ROWS_A_STATEMENT = 1000


def _claim_statement(due: ColumnElement[bool], order: Any, *, takeover: bool) -> Update:
    """``UPDATE ... FROM (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n) RETURNING``: two
    claimants never take one row, and neither waits for the other; rows on a channel this
    release does not know are left to one that does (``CHANNELS``). Built once: the dispatcher
    claims several times a second whenever deliveries are due, and making the two statements
    cost some 400 us a look (bench/results/statement_build.md)."""
    chosen = (
        select(deliveries.c.id, deliveries.c.claimed_by.label("previous_claimant"))
        .where(due, deliveries.c.channel.in_(CHANNELS))
        .order_by(order)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True)
        .cte("chosen")
    )
    values: dict[str, Any] = {
        "state": "sending",
        "claimed_by": bindparam("claimant"),
        "lease_until": bindparam("lease"),
    }
    if takeover:
        values["attempts"] = deliveries.c.attempts + 1
    return (
        deliveries.update()
        .where(deliveries.c.id == chosen.c.id)
        .values(values)
        .returning(*_CLAIMED, chosen.c.previous_claimant)
    )


_AT = deliveries.c.lease_until.type  # a time with its zone, as every time here
_NOW = bindparam("now", type_=_AT)
#: a row left mid-send by a dispatcher whose lease ran out; a pending row whose time has come
_ABANDONED = (deliveries.c.state == "sending") & (deliveries.c.lease_until <= _NOW)
_DUE = (deliveries.c.state == "pending") & (deliveries.c.next_attempt_at <= _NOW)
_CLAIM_ABANDONED = _claim_statement(_ABANDONED, deliveries.c.lease_until, takeover=True)
_CLAIM_DUE = _claim_statement(_DUE, deliveries.c.next_attempt_at, takeover=False)

#: the phone messages sent to a look's households in the rate window (every look that claims
#: SMS or WhatsApp)
_PHONE_SENDS = (
    select(deliveries.c.household_id, deliveries.c.sent_at)
    .where(
        deliveries.c.household_id == any_of("households", ID_TYPE),
        deliveries.c.channel.in_(PHONE_CHANNELS),
        deliveries.c.state == "sent",
        deliveries.c.sent_at > bindparam("since", type_=_AT),
    )
    .order_by(deliveries.c.sent_at)
)


class Plan(NamedTuple):
    """The deliveries one event (or one visit's message) plans."""

    source_event_id: UUID
    referral_id: UUID
    household_id: UUID
    planned: Sequence[Planned]
    #: the templates' variables, JSON
    context: str
    #: when they are first due; None: now
    due: datetime | None = None


_WAKE_WAITING = (
    deliveries.update()
    .where(
        deliveries.c.household_id == any_of("households", ID_TYPE),
        deliveries.c.state == "pending",
        deliveries.c.audience == "resident",
        deliveries.c.waits > 0,
        deliveries.c.attempts == deliveries.c.waits,
        deliveries.c.next_attempt_at > func.now(),
    )
    .values(next_attempt_at=func.now())
)
_ADD_ATTEMPTS = delivery_attempts.insert()
_PLAN = (
    insert(deliveries)
    .values(
        next_attempt_at=func.coalesce(
            bindparam("due", type_=deliveries.c.next_attempt_at.type), func.now()
        )
    )
    .on_conflict_do_nothing(index_elements=["source_event_id", "audience", "channel"])
)

#: what is due and no dispatcher takes, by channel (a row abandoned mid-send is due from the
#: end of its lease): the operators' view of dispatchers that stopped or of a channel no
#: running release knows; both partial indexes serve it
_DUE_BY_CHANNEL = (
    select(
        deliveries.c.channel,
        func.count(),
        func.min(case((_ABANDONED, deliveries.c.lease_until), else_=deliveries.c.next_attempt_at)),
    )
    .where(_DUE | _ABANDONED)
    .group_by(deliveries.c.channel)
)


class Due(NamedTuple):
    """Deliveries on one channel whose time has come (or whose sender's lease ran out) and
    that no dispatcher has taken; ``oldest``: since when the first of them has waited."""

    channel: str
    waiting: int
    oldest: datetime


class DeliveryRepository(Repository):
    async def due_by_channel(self, now: datetime) -> list[Due]:
        """What is due and not taken, by channel (one statement over the two partial indexes)."""
        rows = await self._session.execute(_DUE_BY_CHANNEL, {"now": now})
        return [Due._make(row) for row in rows]

    async def add_planned(
        self,
        *,
        source_event_id: UUID,
        referral_id: UUID,
        household_id: UUID,
        planned: Sequence[Planned],
        context: str,
        due: datetime | None = None,
    ) -> None:
        """A pending delivery per planned (audience, channel) of one event (``add_plans``)."""
        await self.add_plans(
            [Plan(source_event_id, referral_id, household_id, planned, context, due)]
        )

    async def add_plans(self, plans: Sequence[Plan]) -> None:
        """A pending delivery per planned (audience, channel), due at ``due`` (default: now),
        every plan in one statement (a few, for thousands); one already planned from the same
        event is left as it is (a redelivered event plans nothing twice)."""
        rows = [
            {
                "id": uuid4(),
                "source_event_id": plan.source_event_id,
                "referral_id": plan.referral_id,
                "household_id": plan.household_id,
                "audience": p.audience,
                "channel": p.channel,
                "address": p.address,
                "template": p.template,
                "context": plan.context,
                "state": "pending",
                "unreachable_reason": p.unreachable and p.unreachable.reason,
                "unreachable_detail": p.unreachable and p.unreachable.detail,
                "due": plan.due,
            }
            for plan in plans
            for p in plan.planned
        ]
        if rows:  # the rows as parameters: the statement is compiled once (insertmanyvalues)
            await self._session.execute(_PLAN, rows)

    async def wake_waiting(self, households: Collection[UUID]) -> None:
        """Residents' deliveries of these households that have only waited for a contact so
        far (no send tried) are due now: the contact they waited for has come, so nobody
        waits out the rest of a backoff that was only a guess at when it would."""
        if not households:
            return
        await self._session.execute(_WAKE_WAITING, {"households": list(households)})

    # -- the dispatcher's claims ---------------------------------------------------------------

    async def claim_abandoned(self, claim: Claim) -> list[Claimed]:
        """Rows left ``sending`` past their lease (their sender died or stalled), oldest lease
        first, taken over: the attempt is counted, since a message may have gone out."""
        return await self._claim(_CLAIM_ABANDONED, claim)

    async def claim_due(self, claim: Claim) -> list[Claimed]:
        """Pending rows whose time has come, the longest waiting first."""
        claimed = await self._claim(_CLAIM_DUE, claim)
        return sorted(claimed, key=lambda c: c.next_attempt_at)  # RETURNING keeps no order

    async def _claim(self, statement: Update, claim: Claim) -> list[Claimed]:
        if claim.limit <= 0:
            return []
        rows = await self._session.execute(
            statement,
            {
                "now": claim.now,
                "limit": claim.limit,
                "claimant": claim.claimant,
                "lease": claim.lease_until,
            },
        )
        return [Claimed._make(row) for row in rows]

    async def reach_left(self, source_event_id: UUID) -> bool:
        """Whether a message to a resident planned from ``source_event_id`` was sent or may
        still be (pending, sending), on any channel."""
        found = await self._session.scalar(
            select(deliveries.c.id)
            .where(
                deliveries.c.source_event_id == source_event_id,
                deliveries.c.audience == "resident",
                deliveries.c.state.in_(("pending", "sending", "sent")),
            )
            .limit(1)
        )
        return found is not None

    async def phone_sends_since(
        self, households: Collection[UUID], since: datetime
    ) -> list[PhoneSend]:
        """The SMS and WhatsApp messages sent to these households since ``since``, oldest
        first (the per-recipient rate limit)."""
        if not households:
            return []
        rows = await self._session.execute(
            _PHONE_SENDS, {"households": list(households), "since": since}
        )
        return [PhoneSend._make(row) for row in rows]

    # -- results, only while the claim holds ---------------------------------------------------

    async def settle(self, claimant: str, results: Sequence[Settled]) -> set[UUID]:
        """Write each result and end its claim, all in one statement, where ``claimant`` still
        holds the row with the same lease (a row whose lease expired was taken over, and its
        late result must be dropped); the ids written. A result with ``next_attempt_at`` goes
        back to ``pending`` until then (``waited``: one more wait for the resident's
        contact); one without ends the delivery in its final ``state``."""
        if not results:
            return set()
        given = [
            (*(getattr(r, name) for name in _SETTLED), int(r.waited), r.next_attempt_at is None)
            for r in results
        ]
        rows = await self._session.execute(
            _SETTLE,
            {**rows_parameters(_RESULTS, given), "claimant": claimant},
        )
        return set(rows.scalars())

    async def add_attempts(self, attempts: Sequence[Attempt]) -> None:
        if attempts:
            await self._session.execute(_ADD_ATTEMPTS, [a._asdict() for a in attempts])


class Visit(NamedTuple):
    """A visit whose gathered news is due to be summed up."""

    intake_id: UUID
    household_id: UUID
    village_code: str
    #: messages planned for it so far
    messages: int


class Gathered(NamedTuple):
    event_id: UUID
    #: ``domain.news.News`` as JSON
    news: str


class Newsworthy(NamedTuple):
    """One piece of a resident's news: a status event of one of their visit's referrals."""

    event_id: UUID
    visit: Visit
    referral_id: UUID
    #: ``domain.news.News`` as JSON
    news: str
    changed_at: datetime


class NewsRepository(Repository):
    async def gather_all(self, items: Sequence[Newsworthy], *, window: timedelta) -> None:
        """Keep each piece of news for its visit's next message, all in two statements; the
        first one waiting for a visit sets when that message is summed up (now + ``window``),
        later ones join it. Nothing is kept for a household whose resident withdrew consent to
        be told (``silenced_households``, checked in these statements: no round trip of its own
        on the consumer's path)."""
        for start in range(0, len(items), _ROWS_A_STATEMENT):
            await self._gather(items[start : start + _ROWS_A_STATEMENT], window)

    async def _gather(self, items: Sequence[Newsworthy], window: timedelta) -> None:
        # one row a visit: an upsert may touch a row once per statement
        visits = list({item.visit.intake_id: item.visit for item in items}.values())
        await self._session.execute(
            _GATHER_VISITS,
            {
                **rows_parameters(
                    _VISITS, [(v.intake_id, v.household_id, v.village_code) for v in visits]
                ),
                "window": window,
            },
        )
        news = [
            (
                i.event_id,
                i.visit.intake_id,
                i.visit.household_id,
                i.referral_id,
                i.news,
                i.changed_at,
            )
            for i in items
        ]
        await self._session.execute(_GATHER_NEWS, rows_parameters(_NEWS, news))

    async def claim_due(self, now: datetime, limit: int) -> list[Visit]:
        """Visits whose news is due, locked for this transaction (``SKIP LOCKED``: two
        dispatchers never sum up one visit, and neither waits for the other)."""
        rows = await self._session.execute(_DUE_VISITS, {"now": now, "limit": limit})
        return [Visit._make(row) for row in rows]

    async def gathered(self, intake_ids: Collection[UUID]) -> dict[UUID, list[Gathered]]:
        """Each visit's news not yet in a message, in the order it happened."""
        found: dict[UUID, list[Gathered]] = {i: [] for i in intake_ids}
        rows = await self._session.execute(_GATHERED, {"visits": list(intake_ids)})
        for row in rows:
            found[row.intake_id].append(Gathered(row.event_id, row.news))
        return found

    async def summed_up(self, visits: Sequence[SummedUp]) -> None:
        """Each visit's news went out in its message (``digest_id``; None: there was none)
        and the visit waits for news again: two statements for the lot."""
        news = [
            {"event": event_id, "digest": visit.digest_id}
            for visit in visits
            if visit.digest_id is not None
            for event_id in visit.event_ids
        ]
        if news:  # the rows as parameters: compiled once, sent as one batch
            await self._session.execute(_NEWS_SENT, news)
        if visits:
            told = [v.intake_id for v in visits if v.event_ids and v.digest_id is not None]
            await self._session.execute(
                _VISITS_SUMMED, {"visits": [v.intake_id for v in visits], "told": told}
            )


class SummedUp(NamedTuple):
    """A visit summed up: its message's id (None: it had nothing new) and the news in it."""

    intake_id: UUID
    digest_id: UUID | None
    event_ids: Sequence[UUID]


_NEWS_SENT = (
    resident_news.update()
    .where(resident_news.c.event_id == bindparam("event"))
    .values(digest_id=bindparam("digest"))
)


def _told(household_id: ColumnElement[UUID]) -> ColumnElement[bool]:
    """The household's resident has not withdrawn consent to be told."""
    return ~exists().where(silenced_households.c.household_id == household_id)


# A status batch's news, gathered by two statements built once: built for each batch, with its
# rows bound in, making them and their cache keys cost more than compiling them (648 us against
# 490-570 a batch of 20: bench/results/statement_build.md), paid by every small batch of a
# quiet hour.
_VISIT_COLUMNS = ("intake_id", "household_id", "village_code")
_VISITS = rows_table(
    *(column(c, resident_visits.c[c].type) for c in _VISIT_COLUMNS), name="given", rows=[]
)
_GATHERING = insert(resident_visits).from_select(
    [*_VISIT_COLUMNS, "summarise_at"],
    select(*_VISITS.c, func.now() + bindparam("window", type_=Interval())).where(
        _told(_VISITS.c.household_id)
    ),
)
#: the first news waiting for a visit sets when its message is summed up; later news joins it
_GATHER_VISITS = _GATHERING.on_conflict_do_update(
    index_elements=["intake_id"],
    set_={
        "summarise_at": func.coalesce(
            resident_visits.c.summarise_at, _GATHERING.excluded.summarise_at
        )
    },
)
_NEWS = rows_table(
    column("event_id", resident_news.c.event_id.type),
    column("intake_id", resident_news.c.intake_id.type),
    column("household_id", resident_visits.c.household_id.type),
    column("referral_id", resident_news.c.referral_id.type),
    column("news", resident_news.c.news.type),
    column("changed_at", resident_news.c.changed_at.type),
    name="news",
    rows=[],
)
_GATHER_NEWS = (
    insert(resident_news)
    .from_select(
        ["event_id", "intake_id", "referral_id", "news", "changed_at"],
        select(
            _NEWS.c.event_id,
            _NEWS.c.intake_id,
            _NEWS.c.referral_id,
            _NEWS.c.news,
            _NEWS.c.changed_at,
        ).where(_told(_NEWS.c.household_id)),
    )
    .on_conflict_do_nothing(index_elements=["event_id"])
)


# Every look of the dispatcher sums up the visits whose news is due: their statements are
# built once too (bench/statement_build.py), as the claims' are.
_DUE_VISITS = (
    select(*(resident_visits.c[f] for f in Visit._fields))
    .where(resident_visits.c.summarise_at <= _NOW)
    .order_by(resident_visits.c.summarise_at)
    .limit(bindparam("limit", type_=Integer))
    .with_for_update(skip_locked=True)
)
_GATHERED = (
    select(resident_news.c.intake_id, resident_news.c.event_id, resident_news.c.news)
    .where(
        resident_news.c.intake_id == any_of("visits", ID_TYPE), resident_news.c.digest_id.is_(None)
    )
    .order_by(resident_news.c.changed_at, resident_news.c.created_at)
)
#: a visit waits for news again; one that had some counts its message
_VISITS_SUMMED = (
    resident_visits.update()
    .where(resident_visits.c.intake_id == any_of("visits", ID_TYPE))
    .values(
        summarise_at=None,
        messages=resident_visits.c.messages
        + case((resident_visits.c.intake_id == any_of("told", ID_TYPE), 1), else_=0),
    )
)


class InboxRepository(Repository):
    async def deliver(self, message_id: UUID, *, recipient: str, subject: str, body: str) -> None:
        """Keyed by the delivery's id: a delivery sent again leaves one message."""
        await self._session.execute(
            insert(inbox_messages)
            .values(id=message_id, recipient=recipient, subject=subject, body=body)
            .on_conflict_do_nothing(index_elements=["id"])
        )


Filing = Literal["created", "updated", "unchanged"]


class Filed(NamedTuple):
    message_id: UUID
    result: Filing


class AlertRepository(Repository):
    """Alertmanager's alerts in the operators' inbox, one message per occurrence."""

    async def file(
        self, *, recipient: str, key: str, status: str, subject: str, body: str
    ) -> Filed:
        """Create or update the occurrence's message. ``INSERT ... ON CONFLICT`` on its key, so
        two Alertmanagers posting the same alert at once leave one message."""
        new_id = uuid4()
        stmt = insert(inbox_messages).values(
            id=new_id,
            recipient=recipient,
            subject=subject,
            body=body,
            alert_key=key,
            alert_status=status,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[inbox_messages.c.alert_key],
            set_={
                "subject": stmt.excluded.subject,
                "body": stmt.excluded.body,
                "alert_status": stmt.excluded.alert_status,
            },
            # resolved is final; a repeat that changes nothing writes nothing
            where=(inbox_messages.c.alert_status != "resolved")
            & (
                (inbox_messages.c.subject != stmt.excluded.subject)
                | (inbox_messages.c.body != stmt.excluded.body)
            ),
        )
        written: UUID | None = await self._session.scalar(stmt.returning(inbox_messages.c.id))
        if written is not None:
            return Filed(written, "created" if written == new_id else "updated")
        found: UUID | None = await self._session.scalar(
            select(inbox_messages.c.id).where(inbox_messages.c.alert_key == key)
        )
        assert found is not None  # the conflict that skipped the update was on this row
        return Filed(found, "unchanged")
