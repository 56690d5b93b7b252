-- upgrade to 0001
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload jsonb NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE UNIQUE INDEX uq_deliveries_source_channel ON public.deliveries USING btree (source_event_id, channel);
-- upgrade to 0002
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload jsonb NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
-- upgrade to 0003
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
-- upgrade to 0004
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
-- upgrade to 0005
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    alert_key text,
    alert_status text
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
CREATE UNIQUE INDEX uq_inbox_messages_alert_key ON public.inbox_messages USING btree (alert_key);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
-- upgrade to 0006
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    alert_key text,
    alert_status text
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
CREATE UNIQUE INDEX uq_inbox_messages_alert_key ON public.inbox_messages USING btree (alert_key);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
-- upgrade to 0007
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone,
    unreachable_reason text,
    unreachable_detail text
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    alert_key text,
    alert_status text
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_news (
    event_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    news text NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    digest_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_visits (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    summarise_at timestamp with time zone,
    messages integer DEFAULT 0 NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT pk_resident_news PRIMARY KEY (event_id);
ALTER TABLE ONLY public.resident_visits
    ADD CONSTRAINT pk_resident_visits PRIMARY KEY (intake_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_resident_news_gathered ON public.resident_news USING btree (intake_id) WHERE (digest_id IS NULL);
CREATE INDEX ix_resident_news_referral_id ON public.resident_news USING btree (referral_id);
CREATE INDEX ix_resident_visits_due ON public.resident_visits USING btree (summarise_at) WHERE (summarise_at IS NOT NULL);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
CREATE UNIQUE INDEX uq_inbox_messages_alert_key ON public.inbox_messages USING btree (alert_key);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT fk_resident_news_intake_id_resident_visits FOREIGN KEY (intake_id) REFERENCES public.resident_visits(intake_id);
-- upgrade to 0008
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone,
    unreachable_reason text,
    unreachable_detail text
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    alert_key text,
    alert_status text
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_news (
    event_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    news text NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    digest_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_visits (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    summarise_at timestamp with time zone,
    messages integer DEFAULT 0 NOT NULL
);
CREATE TABLE public.silenced_households (
    household_id uuid NOT NULL,
    withdrawal_id uuid NOT NULL,
    withdrawn_at timestamp with time zone NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT pk_resident_news PRIMARY KEY (event_id);
ALTER TABLE ONLY public.resident_visits
    ADD CONSTRAINT pk_resident_visits PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.silenced_households
    ADD CONSTRAINT pk_silenced_households PRIMARY KEY (household_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_resident_news_gathered ON public.resident_news USING btree (intake_id) WHERE (digest_id IS NULL);
CREATE INDEX ix_resident_news_referral_id ON public.resident_news USING btree (referral_id);
CREATE INDEX ix_resident_visits_due ON public.resident_visits USING btree (summarise_at) WHERE (summarise_at IS NOT NULL);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
CREATE UNIQUE INDEX uq_inbox_messages_alert_key ON public.inbox_messages USING btree (alert_key);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT fk_resident_news_intake_id_resident_visits FOREIGN KEY (intake_id) REFERENCES public.resident_visits(intake_id);
-- upgrade to 0009
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone,
    unreachable_reason text,
    unreachable_detail text,
    waits integer DEFAULT 0 NOT NULL
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    alert_key text,
    alert_status text
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_news (
    event_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    news text NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    digest_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_visits (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    summarise_at timestamp with time zone,
    messages integer DEFAULT 0 NOT NULL
);
CREATE TABLE public.silenced_households (
    household_id uuid NOT NULL,
    withdrawal_id uuid NOT NULL,
    withdrawn_at timestamp with time zone NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT pk_resident_news PRIMARY KEY (event_id);
ALTER TABLE ONLY public.resident_visits
    ADD CONSTRAINT pk_resident_visits PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.silenced_households
    ADD CONSTRAINT pk_silenced_households PRIMARY KEY (household_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_resident_news_gathered ON public.resident_news USING btree (intake_id) WHERE (digest_id IS NULL);
CREATE INDEX ix_resident_news_referral_id ON public.resident_news USING btree (referral_id);
CREATE INDEX ix_resident_visits_due ON public.resident_visits USING btree (summarise_at) WHERE (summarise_at IS NOT NULL);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
CREATE UNIQUE INDEX uq_inbox_messages_alert_key ON public.inbox_messages USING btree (alert_key);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT fk_resident_news_intake_id_resident_visits FOREIGN KEY (intake_id) REFERENCES public.resident_visits(intake_id);
-- upgrade to 0010
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone,
    unreachable_reason text,
    unreachable_detail text,
    waits integer DEFAULT 0 NOT NULL
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    alert_key text,
    alert_status text
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_news (
    event_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    news text NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    digest_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_visits (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    summarise_at timestamp with time zone,
    messages integer DEFAULT 0 NOT NULL
);
CREATE TABLE public.silenced_households (
    household_id uuid NOT NULL,
    withdrawal_id uuid NOT NULL,
    withdrawn_at timestamp with time zone NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT pk_resident_news PRIMARY KEY (event_id);
ALTER TABLE ONLY public.resident_visits
    ADD CONSTRAINT pk_resident_visits PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.silenced_households
    ADD CONSTRAINT pk_silenced_households PRIMARY KEY (household_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_resident_news_gathered ON public.resident_news USING btree (intake_id) WHERE (digest_id IS NULL);
CREATE INDEX ix_resident_news_referral_id ON public.resident_news USING btree (referral_id);
CREATE INDEX ix_resident_visits_due ON public.resident_visits USING btree (summarise_at) WHERE (summarise_at IS NOT NULL);
CREATE INDEX ix_resident_visits_household_id ON public.resident_visits USING btree (household_id);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
CREATE UNIQUE INDEX uq_inbox_messages_alert_key ON public.inbox_messages USING btree (alert_key);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT fk_resident_news_intake_id_resident_visits FOREIGN KEY (intake_id) REFERENCES public.resident_visits(intake_id);
-- upgrade to 0011
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone,
    unreachable_reason text,
    unreachable_detail text,
    waits integer DEFAULT 0 NOT NULL
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    alert_key text,
    alert_status text
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
)
WITH (autovacuum_vacuum_scale_factor='0', autovacuum_vacuum_threshold='5000', autovacuum_vacuum_cost_delay='0');
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_news (
    event_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    news text NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    digest_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_visits (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    summarise_at timestamp with time zone,
    messages integer DEFAULT 0 NOT NULL
);
CREATE TABLE public.silenced_households (
    household_id uuid NOT NULL,
    withdrawal_id uuid NOT NULL,
    withdrawn_at timestamp with time zone NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT pk_resident_news PRIMARY KEY (event_id);
ALTER TABLE ONLY public.resident_visits
    ADD CONSTRAINT pk_resident_visits PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.silenced_households
    ADD CONSTRAINT pk_silenced_households PRIMARY KEY (household_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_resident_news_gathered ON public.resident_news USING btree (intake_id) WHERE (digest_id IS NULL);
CREATE INDEX ix_resident_news_referral_id ON public.resident_news USING btree (referral_id);
CREATE INDEX ix_resident_visits_due ON public.resident_visits USING btree (summarise_at) WHERE (summarise_at IS NOT NULL);
CREATE INDEX ix_resident_visits_household_id ON public.resident_visits USING btree (household_id);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
CREATE UNIQUE INDEX uq_inbox_messages_alert_key ON public.inbox_messages USING btree (alert_key);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT fk_resident_news_intake_id_resident_visits FOREIGN KEY (intake_id) REFERENCES public.resident_visits(intake_id);
-- downgrade to 0010
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone,
    unreachable_reason text,
    unreachable_detail text,
    waits integer DEFAULT 0 NOT NULL
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    alert_key text,
    alert_status text
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_news (
    event_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    news text NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    digest_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_visits (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    summarise_at timestamp with time zone,
    messages integer DEFAULT 0 NOT NULL
);
CREATE TABLE public.silenced_households (
    household_id uuid NOT NULL,
    withdrawal_id uuid NOT NULL,
    withdrawn_at timestamp with time zone NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT pk_resident_news PRIMARY KEY (event_id);
ALTER TABLE ONLY public.resident_visits
    ADD CONSTRAINT pk_resident_visits PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.silenced_households
    ADD CONSTRAINT pk_silenced_households PRIMARY KEY (household_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_resident_news_gathered ON public.resident_news USING btree (intake_id) WHERE (digest_id IS NULL);
CREATE INDEX ix_resident_news_referral_id ON public.resident_news USING btree (referral_id);
CREATE INDEX ix_resident_visits_due ON public.resident_visits USING btree (summarise_at) WHERE (summarise_at IS NOT NULL);
CREATE INDEX ix_resident_visits_household_id ON public.resident_visits USING btree (household_id);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
CREATE UNIQUE INDEX uq_inbox_messages_alert_key ON public.inbox_messages USING btree (alert_key);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT fk_resident_news_intake_id_resident_visits FOREIGN KEY (intake_id) REFERENCES public.resident_visits(intake_id);
-- downgrade to 0009
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone,
    unreachable_reason text,
    unreachable_detail text,
    waits integer DEFAULT 0 NOT NULL
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    alert_key text,
    alert_status text
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_news (
    event_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    news text NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    digest_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_visits (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    summarise_at timestamp with time zone,
    messages integer DEFAULT 0 NOT NULL
);
CREATE TABLE public.silenced_households (
    household_id uuid NOT NULL,
    withdrawal_id uuid NOT NULL,
    withdrawn_at timestamp with time zone NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT pk_resident_news PRIMARY KEY (event_id);
ALTER TABLE ONLY public.resident_visits
    ADD CONSTRAINT pk_resident_visits PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.silenced_households
    ADD CONSTRAINT pk_silenced_households PRIMARY KEY (household_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_resident_news_gathered ON public.resident_news USING btree (intake_id) WHERE (digest_id IS NULL);
CREATE INDEX ix_resident_news_referral_id ON public.resident_news USING btree (referral_id);
CREATE INDEX ix_resident_visits_due ON public.resident_visits USING btree (summarise_at) WHERE (summarise_at IS NOT NULL);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
CREATE UNIQUE INDEX uq_inbox_messages_alert_key ON public.inbox_messages USING btree (alert_key);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT fk_resident_news_intake_id_resident_visits FOREIGN KEY (intake_id) REFERENCES public.resident_visits(intake_id);
-- downgrade to 0008
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone,
    unreachable_reason text,
    unreachable_detail text
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    alert_key text,
    alert_status text
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_news (
    event_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    news text NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    digest_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_visits (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    summarise_at timestamp with time zone,
    messages integer DEFAULT 0 NOT NULL
);
CREATE TABLE public.silenced_households (
    household_id uuid NOT NULL,
    withdrawal_id uuid NOT NULL,
    withdrawn_at timestamp with time zone NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT pk_resident_news PRIMARY KEY (event_id);
ALTER TABLE ONLY public.resident_visits
    ADD CONSTRAINT pk_resident_visits PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.silenced_households
    ADD CONSTRAINT pk_silenced_households PRIMARY KEY (household_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_resident_news_gathered ON public.resident_news USING btree (intake_id) WHERE (digest_id IS NULL);
CREATE INDEX ix_resident_news_referral_id ON public.resident_news USING btree (referral_id);
CREATE INDEX ix_resident_visits_due ON public.resident_visits USING btree (summarise_at) WHERE (summarise_at IS NOT NULL);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
CREATE UNIQUE INDEX uq_inbox_messages_alert_key ON public.inbox_messages USING btree (alert_key);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT fk_resident_news_intake_id_resident_visits FOREIGN KEY (intake_id) REFERENCES public.resident_visits(intake_id);
-- downgrade to 0007
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone,
    unreachable_reason text,
    unreachable_detail text
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    alert_key text,
    alert_status text
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_news (
    event_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    news text NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    digest_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.resident_visits (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    summarise_at timestamp with time zone,
    messages integer DEFAULT 0 NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT pk_resident_news PRIMARY KEY (event_id);
ALTER TABLE ONLY public.resident_visits
    ADD CONSTRAINT pk_resident_visits PRIMARY KEY (intake_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_resident_news_gathered ON public.resident_news USING btree (intake_id) WHERE (digest_id IS NULL);
CREATE INDEX ix_resident_news_referral_id ON public.resident_news USING btree (referral_id);
CREATE INDEX ix_resident_visits_due ON public.resident_visits USING btree (summarise_at) WHERE (summarise_at IS NOT NULL);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
CREATE UNIQUE INDEX uq_inbox_messages_alert_key ON public.inbox_messages USING btree (alert_key);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.resident_news
    ADD CONSTRAINT fk_resident_news_intake_id_resident_visits FOREIGN KEY (intake_id) REFERENCES public.resident_visits(intake_id);
-- downgrade to 0006
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    alert_key text,
    alert_status text
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
CREATE UNIQUE INDEX uq_inbox_messages_alert_key ON public.inbox_messages USING btree (alert_key);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
-- downgrade to 0005
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    alert_key text,
    alert_status text
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
CREATE UNIQUE INDEX uq_inbox_messages_alert_key ON public.inbox_messages USING btree (alert_key);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
-- downgrade to 0004
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text,
    claimed_by text,
    lease_until timestamp with time zone
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_deliveries_sending ON public.deliveries USING btree (lease_until) WHERE (state = 'sending'::text);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
-- downgrade to 0003
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload json NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
-- downgrade to 0002
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channels text[] NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    audience text NOT NULL,
    address text
);
CREATE TABLE public.delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    provider text,
    detail text,
    duration_ms integer,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.inbox_messages (
    id uuid NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload jsonb NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT pk_delivery_attempts PRIMARY KEY (id);
ALTER TABLE ONLY public.inbox_messages
    ADD CONSTRAINT pk_inbox_messages PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_deliveries_household_sent ON public.deliveries USING btree (household_id, sent_at);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_delivery_attempts_delivery_id ON public.delivery_attempts USING btree (delivery_id);
CREATE INDEX ix_inbox_messages_recipient_created ON public.inbox_messages USING btree (recipient, created_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE UNIQUE INDEX uq_deliveries_source_audience_channel ON public.deliveries USING btree (source_event_id, audience, channel);
ALTER TABLE ONLY public.delivery_attempts
    ADD CONSTRAINT fk_delivery_attempts_delivery_id_deliveries FOREIGN KEY (delivery_id) REFERENCES public.deliveries(id) ON DELETE CASCADE;
-- downgrade to 0001
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.contacts (
    household_id uuid NOT NULL,
    language text NOT NULL,
    email text,
    phone text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    source_event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    household_id uuid NOT NULL,
    channel text NOT NULL,
    recipient_masked text,
    template text NOT NULL,
    context text NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone
);
CREATE TABLE public.outbox (
    id uuid NOT NULL,
    seq bigint NOT NULL,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload jsonb NOT NULL,
    topic text NOT NULL,
    traceparent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT pk_contacts PRIMARY KEY (household_id);
ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT pk_deliveries PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_deliveries_pending ON public.deliveries USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX ix_deliveries_referral_id ON public.deliveries USING btree (referral_id);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE UNIQUE INDEX uq_deliveries_source_channel ON public.deliveries USING btree (source_event_id, channel);
-- downgrade to base
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
