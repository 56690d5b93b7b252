"""Alertmanager's alerts into the operators' inbox, one message per occurrence (see
``domain/alerts.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_notifications.adapters.tables import inbox_messages
from rujukan_notifications.domain.alerts import OPS_INBOX, Alert, FiledAlert, inbox_message


async def file_alerts(session: AsyncSession, alerts: Sequence[Alert]) -> list[FiledAlert]:
    """Create or update each alert's message. ``INSERT ... ON CONFLICT`` on the alert's key, so
    two Alertmanagers posting the same alert at once leave one message."""
    filed = []
    for alert in alerts:
        subject, body = inbox_message(alert)
        new_id = uuid4()
        stmt = insert(inbox_messages).values(
            id=new_id,
            recipient=OPS_INBOX,
            subject=subject,
            body=body,
            alert_key=alert.key,
            alert_status=alert.status,
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
        written = await session.scalar(stmt.returning(inbox_messages.c.id))
        if written is None:
            found = await session.scalar(
                select(inbox_messages.c.id).where(inbox_messages.c.alert_key == alert.key)
            )
            assert found is not None  # the conflict that skipped the update was on this row
            message_id, result = found, "unchanged"
        else:
            message_id, result = written, "created" if written == new_id else "updated"
        filed.append(
            FiledAlert(
                message_id=message_id,
                fingerprint=alert.fingerprint,
                status=alert.status,
                result=result,
            )
        )
    return filed
