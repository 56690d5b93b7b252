"""Summing up a visit's news in one message per resident (``domain/news.py`` says what news
is): the dispatcher's first step each round (``Dispatcher.dispatch_due``).

One short transaction sums up every visit whose gathering window has closed: the visit rows
are locked ``FOR UPDATE SKIP LOCKED`` (two dispatchers never sum up one visit), the resident's
deliveries are planned (``resident_plan``: their consented channels, or a Puskesos task to tell
them in person), the news is marked as sent in that message, and the visit waits for news
again — all or nothing. A dispatcher that dies before the commit leaves everything as it was,
and the next round sums it up; one that dies after it has planned deliveries like any other.
The message's id derives from the visit and its number (``digest_id``), and deliveries are
unique per (id, audience, channel): a message is never planned twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

import orjson

from rujukan_notifications import metrics
from rujukan_notifications.adapters.repository import Plan, SummedUp
from rujukan_notifications.domain.audience import resident_plan
from rujukan_notifications.domain.channels import ChannelName
from rujukan_notifications.service_layer.unit_of_work import NotificationsUnitOfWork

#: the namespace of messages' ids (``uuid5``)
DIGESTS = UUID("0b4d3c8e-5f0a-4d8e-9c61-7a2f1e6b9d40")


def digest_id(intake_id: UUID, number: int) -> UUID:
    """The id of a visit's ``number``-th message: the same whoever plans it, however often."""
    return uuid5(DIGESTS, f"{intake_id}/{number}")


async def sum_up_due(
    uow: NotificationsUnitOfWork,
    *,
    now: datetime,
    offered: Sequence[ChannelName],
    limit: int,
) -> int:
    """Plan one message for each visit whose news is due (at most ``limit``), through the
    resident channels the deployment ``offered``; commits. The number of visits summed up."""
    visits = await uow.news.claim_due(now, limit)
    if not visits:
        return 0
    gathered = await uow.news.gathered([v.intake_id for v in visits])
    contacts = await uow.contacts.of_households({v.household_id for v in visits})
    plans: list[Plan] = []
    summed: list[SummedUp] = []
    in_person: list[str] = []  # the reasons of those told in person
    for visit in visits:
        items = gathered[visit.intake_id]
        if not items:  # a redelivered event re-armed the visit: nothing new to say
            summed.append(SummedUp(visit.intake_id, None, []))
            continue
        digest = digest_id(visit.intake_id, visit.messages + 1)
        news = [orjson.loads(item.news) for item in items]
        contact = contacts.get(visit.household_id)
        planned = resident_plan(contact.channels if contact else None, offered, visit.village_code)
        context: dict[str, Any] = {"village_code": visit.village_code, "news": news}
        for told_in_person in (p.unreachable for p in planned if p.unreachable):
            context["unreachable_detail"] = told_in_person.detail  # the task says why
            in_person.append(told_in_person.reason)
        plans.append(
            Plan(
                source_event_id=digest,
                referral_id=UUID(news[0]["referral_id"]),
                household_id=visit.household_id,
                planned=planned,
                context=orjson.dumps(context).decode(),
                due=now,  # this round's claim takes them
            )
        )
        summed.append(SummedUp(visit.intake_id, digest, [item.event_id for item in items]))
    await uow.deliveries.add_plans(plans)
    await uow.news.summed_up(summed)
    await uow.commit()
    metrics.VISIT_MESSAGES.inc(len(plans))
    for reason in in_person:
        metrics.TOLD_IN_PERSON.labels(reason).inc()
    return len(visits)
