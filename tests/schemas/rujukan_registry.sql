-- upgrade to 0001
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
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
CREATE TABLE public.programs (
    code text NOT NULL,
    owner_agency text NOT NULL,
    status text NOT NULL,
    revision integer NOT NULL,
    document jsonb NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.programs
    ADD CONSTRAINT pk_programs PRIMARY KEY (code);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
-- upgrade to 0002
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.intake_facts (
    intake_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event jsonb NOT NULL
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
CREATE TABLE public.programs (
    code text NOT NULL,
    owner_agency text NOT NULL,
    status text NOT NULL,
    revision integer NOT NULL,
    document jsonb NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    published_version integer
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.intake_facts
    ADD CONSTRAINT pk_intake_facts PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.programs
    ADD CONSTRAINT pk_programs PRIMARY KEY (code);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_intake_facts_submitted_at ON public.intake_facts USING btree (submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
-- upgrade to 0003
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.intake_facts (
    intake_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event jsonb NOT NULL
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
CREATE TABLE public.programs (
    code text NOT NULL,
    owner_agency text NOT NULL,
    status text NOT NULL,
    revision integer NOT NULL,
    document jsonb NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    published_version integer
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.intake_facts
    ADD CONSTRAINT pk_intake_facts PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.programs
    ADD CONSTRAINT pk_programs PRIMARY KEY (code);
CREATE INDEX ix_intake_facts_submitted_at ON public.intake_facts USING btree (submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
-- upgrade to 0004
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.intake_facts (
    intake_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event jsonb NOT NULL
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
CREATE TABLE public.programs (
    code text NOT NULL,
    owner_agency text NOT NULL,
    status text NOT NULL,
    revision integer NOT NULL,
    document jsonb NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    published_version integer
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.intake_facts
    ADD CONSTRAINT pk_intake_facts PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.programs
    ADD CONSTRAINT pk_programs PRIMARY KEY (code);
CREATE INDEX ix_intake_facts_submitted_at ON public.intake_facts USING btree (submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
-- upgrade to 0005
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.intake_facts (
    intake_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event jsonb NOT NULL
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
CREATE TABLE public.programs (
    code text NOT NULL,
    owner_agency text NOT NULL,
    status text NOT NULL,
    revision integer NOT NULL,
    document jsonb NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    published_version integer
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.intake_facts
    ADD CONSTRAINT pk_intake_facts PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.programs
    ADD CONSTRAINT pk_programs PRIMARY KEY (code);
CREATE INDEX ix_intake_facts_submitted_at ON public.intake_facts USING btree (submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
-- downgrade to 0004
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.intake_facts (
    intake_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event jsonb NOT NULL
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
CREATE TABLE public.programs (
    code text NOT NULL,
    owner_agency text NOT NULL,
    status text NOT NULL,
    revision integer NOT NULL,
    document jsonb NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    published_version integer
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.intake_facts
    ADD CONSTRAINT pk_intake_facts PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.programs
    ADD CONSTRAINT pk_programs PRIMARY KEY (code);
CREATE INDEX ix_intake_facts_submitted_at ON public.intake_facts USING btree (submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
-- downgrade to 0003
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.intake_facts (
    intake_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event jsonb NOT NULL
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
CREATE TABLE public.programs (
    code text NOT NULL,
    owner_agency text NOT NULL,
    status text NOT NULL,
    revision integer NOT NULL,
    document jsonb NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    published_version integer
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.intake_facts
    ADD CONSTRAINT pk_intake_facts PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.programs
    ADD CONSTRAINT pk_programs PRIMARY KEY (code);
CREATE INDEX ix_intake_facts_submitted_at ON public.intake_facts USING btree (submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
-- downgrade to 0002
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.intake_facts (
    intake_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event jsonb NOT NULL
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
CREATE TABLE public.programs (
    code text NOT NULL,
    owner_agency text NOT NULL,
    status text NOT NULL,
    revision integer NOT NULL,
    document jsonb NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    published_version integer
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.intake_facts
    ADD CONSTRAINT pk_intake_facts PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.programs
    ADD CONSTRAINT pk_programs PRIMARY KEY (code);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_intake_facts_submitted_at ON public.intake_facts USING btree (submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
-- downgrade to 0001
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
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
CREATE TABLE public.programs (
    code text NOT NULL,
    owner_agency text NOT NULL,
    status text NOT NULL,
    revision integer NOT NULL,
    document jsonb NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.programs
    ADD CONSTRAINT pk_programs PRIMARY KEY (code);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
-- downgrade to base
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
