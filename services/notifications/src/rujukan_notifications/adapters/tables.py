"""Notifications' tables: residents' contacts (consented only), the news gathered per visit
before it is summed up in one message, deliveries and their attempts, and the operators'
inbox."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Identity, Index, Integer, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY

from rujukan_platform.db import new_metadata, time_column, uuid_column

metadata = new_metadata()
outbox = metadata.tables["outbox"]

contacts = Table(
    "contacts",
    metadata,
    uuid_column("household_id", primary_key=True),
    Column("language", Text, nullable=False),
    Column("email", Text, nullable=True),
    Column("phone", Text, nullable=True),
    # the channels consented to (email, sms, whatsapp), decided when the intake arrived
    Column("channels", ARRAY(Text), nullable=False),
    time_column("updated_at", nullable=False, now=True),
)

# Households whose resident withdrew consent to be told ('notification', rujukan.consent.
# withdrawn.v1) or did not give it at their last visit (rujukan.intake.contact.v1 with
# consented false): no news is gathered for them until an intake brings a consented contact.
silenced_households = Table(
    "silenced_households",
    metadata,
    uuid_column("household_id", primary_key=True),
    # the withdrawal's id, or the intake's whose resident did not consent
    uuid_column("withdrawal_id", nullable=False),
    time_column("withdrawn_at", nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    uuid_column("id", primary_key=True),
    uuid_column("source_event_id", nullable=False),
    uuid_column("referral_id", nullable=False, index=True),
    uuid_column("household_id", nullable=False),
    Column("audience", Text, nullable=False),  # resident, operator, supervisor, agency
    Column("channel", Text, nullable=False),
    # operators' inbox and agencies' program code; residents' contact stays in `contacts`
    Column("address", Text, nullable=True),
    Column("recipient_masked", Text, nullable=True),
    Column("template", Text, nullable=False),
    Column("context", Text, nullable=False),
    Column("state", Text, nullable=False),  # pending, sending, sent, failed, skipped
    # every step that counted, waits for a resident's contact included (``waits`` of them)
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("waits", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    time_column("next_attempt_at", nullable=False, now=True),
    time_column("created_at", nullable=False, now=True),
    time_column("sent_at", nullable=True),
    # while ``sending``: the dispatcher that claimed the row and until when its claim holds
    Column("claimed_by", Text, nullable=True),
    time_column("lease_until", nullable=True),
    # set when no channel reaches the resident and the Puskesos tells them in person: why, as
    # a machine reason (``no_channel_configured``, ``no_contact``) and in Bahasa Indonesia
    Column("unreachable_reason", Text, nullable=True),
    Column("unreachable_detail", Text, nullable=True),
    Index(
        "uq_deliveries_source_audience_channel",
        "source_event_id",
        "audience",
        "channel",
        unique=True,
    ),
    Index("ix_deliveries_pending", "next_attempt_at", postgresql_where="state = 'pending'"),
    Index("ix_deliveries_sending", "lease_until", postgresql_where="state = 'sending'"),
    Index("ix_deliveries_household_sent", "household_id", "sent_at"),
)

#: the type of every id the repositories bind as one array (``any_of``): households', visits'
ID_TYPE = deliveries.c.household_id.type

resident_visits = Table(
    "resident_visits",
    metadata,
    # one visit: an intake, whose referrals' news its resident hears together
    uuid_column("intake_id", primary_key=True),
    # indexed: silencing a household finds its visits by it (revision 0010)
    uuid_column("household_id", nullable=False, index=True),
    Column("village_code", Text, nullable=False),
    # when the news gathered so far is summed up in one message; NULL: none is waiting
    time_column("summarise_at", nullable=True),
    # messages planned so far (the next one's id derives from it: ``digest_id``)
    Column("messages", Integer, nullable=False, server_default="0"),
    Index("ix_resident_visits_due", "summarise_at", postgresql_where="summarise_at IS NOT NULL"),
)

resident_news = Table(
    "resident_news",
    metadata,
    # the status event's id: a redelivered event is gathered once
    uuid_column("event_id", primary_key=True),
    uuid_column("intake_id", ForeignKey("resident_visits.intake_id"), nullable=False),
    uuid_column("referral_id", nullable=False, index=True),
    # ``domain.news.News`` as JSON (no personal data)
    Column("news", Text, nullable=False),
    time_column("changed_at", nullable=False),
    # the message it went out in (``deliveries.source_event_id``); NULL while gathered
    uuid_column("digest_id", nullable=True),
    time_column("created_at", nullable=False, now=True),
    Index("ix_resident_news_gathered", "intake_id", postgresql_where="digest_id IS NULL"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    uuid_column(
        "delivery_id",
        ForeignKey("deliveries.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("attempt", Integer, nullable=False),  # the delivery's attempt count after this step
    # sent, retry, failed, skipped, waiting, deferred, circuit_open, released, taken_over
    Column("outcome", Text, nullable=False),
    Column("provider", Text, nullable=True),
    Column("detail", Text, nullable=True),
    Column("duration_ms", Integer, nullable=True),
    time_column("at", nullable=False),
)

inbox_messages = Table(
    "inbox_messages",
    metadata,
    # the delivery's id: a delivery sent twice is stored once
    uuid_column("id", primary_key=True),
    Column("recipient", Text, nullable=False),  # puskesos:<village>, supervisor:<regency>, ops
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    time_column("created_at", nullable=False, now=True),
    # an Alertmanager alert: "<fingerprint>/<startsAt>", and firing or resolved
    Column("alert_key", Text, nullable=True),
    Column("alert_status", Text, nullable=True),
    Index("uq_inbox_messages_alert_key", "alert_key", unique=True),
    Index("ix_inbox_messages_recipient_created", "recipient", "created_at"),
)
