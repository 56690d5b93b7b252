-- upgrade to 0001
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    eligible boolean NOT NULL,
    skipped text,
    criteria jsonb NOT NULL,
    evaluated_at timestamp with time zone NOT NULL
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
CREATE TABLE public.referral_history (
    seq integer NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.referral_history_seq_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.referral_history_seq_seq OWNED BY public.referral_history.seq;
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    decision jsonb NOT NULL,
    consent jsonb NOT NULL,
    due_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
ALTER TABLE ONLY public.referral_history ALTER COLUMN seq SET DEFAULT nextval('public.referral_history_seq_seq'::regclass);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (intake_id, program_code);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referral_history_referral_id ON public.referral_history USING btree (referral_id);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_status ON public.referrals USING btree (program_code, status);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE (status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]));
-- upgrade to 0002
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    eligible boolean NOT NULL,
    skipped text,
    criteria jsonb NOT NULL,
    evaluated_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.referral_history (
    seq integer NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.referral_history_seq_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.referral_history_seq_seq OWNED BY public.referral_history.seq;
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    decision jsonb NOT NULL,
    consent jsonb NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid
);
ALTER TABLE ONLY public.referral_history ALTER COLUMN seq SET DEFAULT nextval('public.referral_history_seq_seq'::regclass);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (intake_id, program_code);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_intakes_household_id ON public.intakes USING btree (household_id);
CREATE INDEX ix_intakes_submitted_at ON public.intakes USING btree (submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referral_history_referral_id ON public.referral_history USING btree (referral_id);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_status ON public.referrals USING btree (program_code, status);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE (status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]));
-- upgrade to 0003
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    cause text NOT NULL,
    evaluated_at timestamp with time zone NOT NULL,
    facts jsonb NOT NULL,
    programs jsonb NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event json NOT NULL
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.program_versions (
    code text NOT NULL,
    version integer NOT NULL,
    program jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.referral_history (
    seq integer NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.referral_history_seq_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.referral_history_seq_seq OWNED BY public.referral_history.seq;
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    decision_id uuid NOT NULL
);
ALTER TABLE ONLY public.referral_history ALTER COLUMN seq SET DEFAULT nextval('public.referral_history_seq_seq'::regclass);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.program_versions
    ADD CONSTRAINT pk_program_versions PRIMARY KEY (code, version);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_decisions_intake_id ON public.decisions USING btree (intake_id);
CREATE INDEX ix_intakes_household_id ON public.intakes USING btree (household_id);
CREATE INDEX ix_intakes_submitted_at ON public.intakes USING btree (submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referral_history_referral_id ON public.referral_history USING btree (referral_id);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_status ON public.referrals USING btree (program_code, status);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE (status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]));
-- upgrade to 0004
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    cause text NOT NULL,
    evaluated_at timestamp with time zone NOT NULL,
    facts jsonb NOT NULL,
    programs jsonb NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event json NOT NULL
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.program_versions (
    code text NOT NULL,
    version integer NOT NULL,
    program jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.referral_history (
    seq bigint NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.referral_history ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    decision_id uuid NOT NULL,
    open boolean GENERATED ALWAYS AS ((status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]))) STORED
)
WITH (fillfactor='50');
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.program_versions
    ADD CONSTRAINT pk_program_versions PRIMARY KEY (code, version);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (referral_id, seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
CREATE INDEX ix_decisions_intake_id ON public.decisions USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_created ON public.referrals USING btree (program_code, created_at);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code text_pattern_ops);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE open;
-- upgrade to 0005
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    cause text NOT NULL,
    evaluated_at timestamp with time zone NOT NULL,
    facts jsonb NOT NULL,
    programs jsonb NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event json NOT NULL
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.program_versions (
    code text NOT NULL,
    version integer NOT NULL,
    program jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.referral_history (
    seq bigint NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.referral_history ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    decision_id uuid NOT NULL,
    open boolean GENERATED ALWAYS AS ((status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]))) STORED
)
WITH (fillfactor='50');
CREATE TABLE public.replay_registry_updates (
    replay_id uuid NOT NULL,
    household_id uuid NOT NULL,
    facts jsonb NOT NULL
);
CREATE TABLE public.replays (
    id uuid NOT NULL,
    status text NOT NULL,
    apply boolean NOT NULL,
    programs text[],
    rule jsonb,
    since timestamp with time zone,
    requested_by text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    cursor uuid,
    evaluated bigint DEFAULT '0'::bigint NOT NULL,
    report jsonb NOT NULL,
    error text,
    lease_owner text,
    heartbeat_at timestamp with time zone
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.program_versions
    ADD CONSTRAINT pk_program_versions PRIMARY KEY (code, version);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (referral_id, seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.replay_registry_updates
    ADD CONSTRAINT pk_replay_registry_updates PRIMARY KEY (replay_id, household_id);
ALTER TABLE ONLY public.replays
    ADD CONSTRAINT pk_replays PRIMARY KEY (id);
CREATE INDEX ix_decisions_intake_id ON public.decisions USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_created ON public.referrals USING btree (program_code, created_at);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code text_pattern_ops);
CREATE INDEX ix_replays_status ON public.replays USING btree (status, created_at);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE open;
-- upgrade to 0006
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    cause text NOT NULL,
    evaluated_at timestamp with time zone NOT NULL,
    facts jsonb NOT NULL,
    programs jsonb NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event json NOT NULL
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.program_versions (
    code text NOT NULL,
    version integer NOT NULL,
    program jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.referral_history (
    seq bigint NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL,
    request_hash text
);
ALTER TABLE public.referral_history ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    decision_id uuid NOT NULL,
    open boolean GENERATED ALWAYS AS ((status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]))) STORED
)
WITH (fillfactor='50');
CREATE TABLE public.replay_registry_updates (
    replay_id uuid NOT NULL,
    household_id uuid NOT NULL,
    facts jsonb NOT NULL
);
CREATE TABLE public.replays (
    id uuid NOT NULL,
    status text NOT NULL,
    apply boolean NOT NULL,
    programs text[],
    rule jsonb,
    since timestamp with time zone,
    requested_by text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    cursor uuid,
    evaluated bigint DEFAULT '0'::bigint NOT NULL,
    report jsonb NOT NULL,
    error text,
    lease_owner text,
    heartbeat_at timestamp with time zone
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.program_versions
    ADD CONSTRAINT pk_program_versions PRIMARY KEY (code, version);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (referral_id, seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.replay_registry_updates
    ADD CONSTRAINT pk_replay_registry_updates PRIMARY KEY (replay_id, household_id);
ALTER TABLE ONLY public.replays
    ADD CONSTRAINT pk_replays PRIMARY KEY (id);
CREATE INDEX ix_decisions_intake_id ON public.decisions USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_created ON public.referrals USING btree (program_code, created_at);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code text_pattern_ops);
CREATE INDEX ix_replays_status ON public.replays USING btree (status, created_at);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE open;
-- upgrade to 0007
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    cause text NOT NULL,
    evaluated_at timestamp with time zone NOT NULL,
    facts jsonb NOT NULL,
    programs jsonb NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event json NOT NULL
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.program_versions (
    code text NOT NULL,
    version integer NOT NULL,
    program jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.referral_history (
    seq bigint NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL,
    request_hash text
);
ALTER TABLE public.referral_history ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    decision_id uuid NOT NULL,
    open boolean GENERATED ALWAYS AS ((status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]))) STORED
)
WITH (fillfactor='50');
CREATE TABLE public.replay_registry_updates (
    replay_id uuid NOT NULL,
    household_id uuid NOT NULL,
    facts jsonb NOT NULL
);
CREATE TABLE public.replays (
    id uuid NOT NULL,
    status text NOT NULL,
    apply boolean NOT NULL,
    programs text[],
    rule jsonb,
    since timestamp with time zone,
    requested_by text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    cursor uuid,
    evaluated bigint DEFAULT '0'::bigint NOT NULL,
    report jsonb NOT NULL,
    error text,
    lease_owner text,
    heartbeat_at timestamp with time zone
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.program_versions
    ADD CONSTRAINT pk_program_versions PRIMARY KEY (code, version);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (referral_id, seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.replay_registry_updates
    ADD CONSTRAINT pk_replay_registry_updates PRIMARY KEY (replay_id, household_id);
ALTER TABLE ONLY public.replays
    ADD CONSTRAINT pk_replays PRIMARY KEY (id);
CREATE INDEX ix_decisions_intake_id ON public.decisions USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_created ON public.referrals USING btree (program_code, created_at);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code text_pattern_ops);
CREATE INDEX ix_replays_status ON public.replays USING btree (status, created_at);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE open;
-- upgrade to 0008
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    cause text NOT NULL,
    evaluated_at timestamp with time zone NOT NULL,
    facts jsonb NOT NULL,
    programs jsonb NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event json NOT NULL
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.program_versions (
    code text NOT NULL,
    version integer NOT NULL,
    program jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.referral_history (
    seq bigint NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL,
    request_hash text
);
ALTER TABLE public.referral_history ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    decision_id uuid NOT NULL,
    open boolean GENERATED ALWAYS AS ((status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]))) STORED,
    reference text NOT NULL
)
WITH (fillfactor='50');
CREATE TABLE public.replay_registry_updates (
    replay_id uuid NOT NULL,
    household_id uuid NOT NULL,
    facts jsonb NOT NULL
);
CREATE TABLE public.replays (
    id uuid NOT NULL,
    status text NOT NULL,
    apply boolean NOT NULL,
    programs text[],
    rule jsonb,
    since timestamp with time zone,
    requested_by text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    cursor uuid,
    evaluated bigint DEFAULT '0'::bigint NOT NULL,
    report jsonb NOT NULL,
    error text,
    lease_owner text,
    heartbeat_at timestamp with time zone
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.program_versions
    ADD CONSTRAINT pk_program_versions PRIMARY KEY (code, version);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (referral_id, seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.replay_registry_updates
    ADD CONSTRAINT pk_replay_registry_updates PRIMARY KEY (replay_id, household_id);
ALTER TABLE ONLY public.replays
    ADD CONSTRAINT pk_replays PRIMARY KEY (id);
CREATE INDEX ix_decisions_intake_id ON public.decisions USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_created ON public.referrals USING btree (program_code, created_at);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code text_pattern_ops);
CREATE INDEX ix_replays_status ON public.replays USING btree (status, created_at);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE open;
CREATE UNIQUE INDEX uq_referrals_reference ON public.referrals USING btree (reference);
-- upgrade to 0009
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.complaints (
    referral_id uuid NOT NULL,
    kind text NOT NULL,
    category text NOT NULL,
    text text NOT NULL,
    about_program text,
    about_referral uuid
);
CREATE TABLE public.decisions (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    cause text NOT NULL,
    evaluated_at timestamp with time zone NOT NULL,
    facts jsonb NOT NULL,
    programs jsonb NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event json NOT NULL
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.program_versions (
    code text NOT NULL,
    version integer NOT NULL,
    program jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.referral_history (
    seq bigint NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL,
    request_hash text
);
ALTER TABLE public.referral_history ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    decision_id uuid NOT NULL,
    reference text NOT NULL,
    open boolean GENERATED ALWAYS AS ((status <> ALL (ARRAY['closed'::text, 'completed'::text, 'expired'::text, 'rejected'::text, 'withdrawn'::text]))) STORED
)
WITH (fillfactor='50');
CREATE TABLE public.replay_registry_updates (
    replay_id uuid NOT NULL,
    household_id uuid NOT NULL,
    facts jsonb NOT NULL
);
CREATE TABLE public.replays (
    id uuid NOT NULL,
    status text NOT NULL,
    apply boolean NOT NULL,
    programs text[],
    rule jsonb,
    since timestamp with time zone,
    requested_by text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    cursor uuid,
    evaluated bigint DEFAULT '0'::bigint NOT NULL,
    report jsonb NOT NULL,
    error text,
    lease_owner text,
    heartbeat_at timestamp with time zone
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.complaints
    ADD CONSTRAINT pk_complaints PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.program_versions
    ADD CONSTRAINT pk_program_versions PRIMARY KEY (code, version);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (referral_id, seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.replay_registry_updates
    ADD CONSTRAINT pk_replay_registry_updates PRIMARY KEY (replay_id, household_id);
ALTER TABLE ONLY public.replays
    ADD CONSTRAINT pk_replays PRIMARY KEY (id);
CREATE INDEX ix_decisions_intake_id ON public.decisions USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_created ON public.referrals USING btree (program_code, created_at);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code text_pattern_ops);
CREATE INDEX ix_replays_status ON public.replays USING btree (status, created_at);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE (open AND (kind = 'need'::text));
CREATE UNIQUE INDEX uq_referrals_reference ON public.referrals USING btree (reference);
-- downgrade to 0008
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    cause text NOT NULL,
    evaluated_at timestamp with time zone NOT NULL,
    facts jsonb NOT NULL,
    programs jsonb NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event json NOT NULL
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.program_versions (
    code text NOT NULL,
    version integer NOT NULL,
    program jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.referral_history (
    seq bigint NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL,
    request_hash text
);
ALTER TABLE public.referral_history ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    decision_id uuid NOT NULL,
    reference text NOT NULL,
    open boolean GENERATED ALWAYS AS ((status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]))) STORED
)
WITH (fillfactor='50');
CREATE TABLE public.replay_registry_updates (
    replay_id uuid NOT NULL,
    household_id uuid NOT NULL,
    facts jsonb NOT NULL
);
CREATE TABLE public.replays (
    id uuid NOT NULL,
    status text NOT NULL,
    apply boolean NOT NULL,
    programs text[],
    rule jsonb,
    since timestamp with time zone,
    requested_by text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    cursor uuid,
    evaluated bigint DEFAULT '0'::bigint NOT NULL,
    report jsonb NOT NULL,
    error text,
    lease_owner text,
    heartbeat_at timestamp with time zone
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.program_versions
    ADD CONSTRAINT pk_program_versions PRIMARY KEY (code, version);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (referral_id, seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.replay_registry_updates
    ADD CONSTRAINT pk_replay_registry_updates PRIMARY KEY (replay_id, household_id);
ALTER TABLE ONLY public.replays
    ADD CONSTRAINT pk_replays PRIMARY KEY (id);
CREATE INDEX ix_decisions_intake_id ON public.decisions USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_created ON public.referrals USING btree (program_code, created_at);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code text_pattern_ops);
CREATE INDEX ix_replays_status ON public.replays USING btree (status, created_at);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE open;
CREATE UNIQUE INDEX uq_referrals_reference ON public.referrals USING btree (reference);
-- downgrade to 0007
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    cause text NOT NULL,
    evaluated_at timestamp with time zone NOT NULL,
    facts jsonb NOT NULL,
    programs jsonb NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event json NOT NULL
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.program_versions (
    code text NOT NULL,
    version integer NOT NULL,
    program jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.referral_history (
    seq bigint NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL,
    request_hash text
);
ALTER TABLE public.referral_history ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    decision_id uuid NOT NULL,
    open boolean GENERATED ALWAYS AS ((status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]))) STORED
)
WITH (fillfactor='50');
CREATE TABLE public.replay_registry_updates (
    replay_id uuid NOT NULL,
    household_id uuid NOT NULL,
    facts jsonb NOT NULL
);
CREATE TABLE public.replays (
    id uuid NOT NULL,
    status text NOT NULL,
    apply boolean NOT NULL,
    programs text[],
    rule jsonb,
    since timestamp with time zone,
    requested_by text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    cursor uuid,
    evaluated bigint DEFAULT '0'::bigint NOT NULL,
    report jsonb NOT NULL,
    error text,
    lease_owner text,
    heartbeat_at timestamp with time zone
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.program_versions
    ADD CONSTRAINT pk_program_versions PRIMARY KEY (code, version);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (referral_id, seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.replay_registry_updates
    ADD CONSTRAINT pk_replay_registry_updates PRIMARY KEY (replay_id, household_id);
ALTER TABLE ONLY public.replays
    ADD CONSTRAINT pk_replays PRIMARY KEY (id);
CREATE INDEX ix_decisions_intake_id ON public.decisions USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_created ON public.referrals USING btree (program_code, created_at);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code text_pattern_ops);
CREATE INDEX ix_replays_status ON public.replays USING btree (status, created_at);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE open;
-- downgrade to 0006
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    cause text NOT NULL,
    evaluated_at timestamp with time zone NOT NULL,
    facts jsonb NOT NULL,
    programs jsonb NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event json NOT NULL
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.program_versions (
    code text NOT NULL,
    version integer NOT NULL,
    program jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.referral_history (
    seq bigint NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL,
    request_hash text
);
ALTER TABLE public.referral_history ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    decision_id uuid NOT NULL,
    open boolean GENERATED ALWAYS AS ((status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]))) STORED
)
WITH (fillfactor='50');
CREATE TABLE public.replay_registry_updates (
    replay_id uuid NOT NULL,
    household_id uuid NOT NULL,
    facts jsonb NOT NULL
);
CREATE TABLE public.replays (
    id uuid NOT NULL,
    status text NOT NULL,
    apply boolean NOT NULL,
    programs text[],
    rule jsonb,
    since timestamp with time zone,
    requested_by text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    cursor uuid,
    evaluated bigint DEFAULT '0'::bigint NOT NULL,
    report jsonb NOT NULL,
    error text,
    lease_owner text,
    heartbeat_at timestamp with time zone
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.program_versions
    ADD CONSTRAINT pk_program_versions PRIMARY KEY (code, version);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (referral_id, seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.replay_registry_updates
    ADD CONSTRAINT pk_replay_registry_updates PRIMARY KEY (replay_id, household_id);
ALTER TABLE ONLY public.replays
    ADD CONSTRAINT pk_replays PRIMARY KEY (id);
CREATE INDEX ix_decisions_intake_id ON public.decisions USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_created ON public.referrals USING btree (program_code, created_at);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code text_pattern_ops);
CREATE INDEX ix_replays_status ON public.replays USING btree (status, created_at);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE open;
-- downgrade to 0005
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    cause text NOT NULL,
    evaluated_at timestamp with time zone NOT NULL,
    facts jsonb NOT NULL,
    programs jsonb NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event json NOT NULL
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.program_versions (
    code text NOT NULL,
    version integer NOT NULL,
    program jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.referral_history (
    seq bigint NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.referral_history ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    decision_id uuid NOT NULL,
    open boolean GENERATED ALWAYS AS ((status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]))) STORED
)
WITH (fillfactor='50');
CREATE TABLE public.replay_registry_updates (
    replay_id uuid NOT NULL,
    household_id uuid NOT NULL,
    facts jsonb NOT NULL
);
CREATE TABLE public.replays (
    id uuid NOT NULL,
    status text NOT NULL,
    apply boolean NOT NULL,
    programs text[],
    rule jsonb,
    since timestamp with time zone,
    requested_by text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    cursor uuid,
    evaluated bigint DEFAULT '0'::bigint NOT NULL,
    report jsonb NOT NULL,
    error text,
    lease_owner text,
    heartbeat_at timestamp with time zone
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.program_versions
    ADD CONSTRAINT pk_program_versions PRIMARY KEY (code, version);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (referral_id, seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.replay_registry_updates
    ADD CONSTRAINT pk_replay_registry_updates PRIMARY KEY (replay_id, household_id);
ALTER TABLE ONLY public.replays
    ADD CONSTRAINT pk_replays PRIMARY KEY (id);
CREATE INDEX ix_decisions_intake_id ON public.decisions USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_created ON public.referrals USING btree (program_code, created_at);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code text_pattern_ops);
CREATE INDEX ix_replays_status ON public.replays USING btree (status, created_at);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE open;
-- downgrade to 0004
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    cause text NOT NULL,
    evaluated_at timestamp with time zone NOT NULL,
    facts jsonb NOT NULL,
    programs jsonb NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event json NOT NULL
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.program_versions (
    code text NOT NULL,
    version integer NOT NULL,
    program jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.referral_history (
    seq bigint NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL
);
ALTER TABLE public.referral_history ALTER COLUMN seq ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    decision_id uuid NOT NULL,
    open boolean GENERATED ALWAYS AS ((status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]))) STORED
)
WITH (fillfactor='50');
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.program_versions
    ADD CONSTRAINT pk_program_versions PRIMARY KEY (code, version);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (referral_id, seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
CREATE INDEX ix_decisions_intake_id ON public.decisions USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_created ON public.referrals USING btree (program_code, created_at);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code text_pattern_ops);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE open;
-- downgrade to 0003
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    cause text NOT NULL,
    evaluated_at timestamp with time zone NOT NULL,
    facts jsonb NOT NULL,
    programs jsonb NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    event json NOT NULL
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.program_versions (
    code text NOT NULL,
    version integer NOT NULL,
    program jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.referral_history (
    seq integer NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.referral_history_seq_seq OWNED BY public.referral_history.seq;
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    decision_id uuid NOT NULL
);
ALTER TABLE ONLY public.referral_history ALTER COLUMN seq SET DEFAULT nextval('public.referral_history_seq_seq'::regclass);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.program_versions
    ADD CONSTRAINT pk_program_versions PRIMARY KEY (code, version);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_decisions_intake_id ON public.decisions USING btree (intake_id);
CREATE INDEX ix_intakes_household_id ON public.intakes USING btree (household_id);
CREATE INDEX ix_intakes_submitted_at ON public.intakes USING btree (submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referral_history_referral_id ON public.referral_history USING btree (referral_id);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_status ON public.referrals USING btree (program_code, status);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE (status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]));
-- downgrade to 0002
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    eligible boolean NOT NULL,
    skipped text,
    criteria jsonb NOT NULL,
    evaluated_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
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
CREATE TABLE public.program_usage (
    program_code text NOT NULL,
    period_start date NOT NULL,
    used integer NOT NULL
);
CREATE TABLE public.referral_history (
    seq integer NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.referral_history_seq_seq OWNED BY public.referral_history.seq;
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    escalation_level integer DEFAULT 0 NOT NULL,
    queued boolean DEFAULT false NOT NULL,
    rerouted_from uuid,
    consent jsonb NOT NULL,
    decision jsonb NOT NULL
);
ALTER TABLE ONLY public.referral_history ALTER COLUMN seq SET DEFAULT nextval('public.referral_history_seq_seq'::regclass);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (intake_id, program_code);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (intake_id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.program_usage
    ADD CONSTRAINT pk_program_usage PRIMARY KEY (program_code, period_start);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_intakes_household_id ON public.intakes USING btree (household_id);
CREATE INDEX ix_intakes_submitted_at ON public.intakes USING btree (submitted_at);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referral_history_referral_id ON public.referral_history USING btree (referral_id);
CREATE INDEX ix_referrals_due ON public.referrals USING btree (due_at) WHERE (due_at IS NOT NULL);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_status ON public.referrals USING btree (program_code, status);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE (status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]));
-- downgrade to 0001
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.catalogue (
    code text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    program jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.decisions (
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    eligible boolean NOT NULL,
    skipped text,
    criteria jsonb NOT NULL,
    evaluated_at timestamp with time zone NOT NULL
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
CREATE TABLE public.referral_history (
    seq integer NOT NULL,
    referral_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason_code text,
    note text,
    actor text NOT NULL,
    idempotency_key text,
    at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.referral_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.referral_history_seq_seq OWNED BY public.referral_history.seq;
CREATE TABLE public.referrals (
    id uuid NOT NULL,
    intake_id uuid NOT NULL,
    household_id uuid NOT NULL,
    program_code text NOT NULL,
    program_version integer NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    reason_code text,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    rank integer NOT NULL,
    due_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    consent jsonb NOT NULL,
    decision jsonb NOT NULL
);
ALTER TABLE ONLY public.referral_history ALTER COLUMN seq SET DEFAULT nextval('public.referral_history_seq_seq'::regclass);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.catalogue
    ADD CONSTRAINT pk_catalogue PRIMARY KEY (code);
ALTER TABLE ONLY public.decisions
    ADD CONSTRAINT pk_decisions PRIMARY KEY (intake_id, program_code);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.referral_history
    ADD CONSTRAINT pk_referral_history PRIMARY KEY (seq);
ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT pk_referrals PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_referral_history_referral_id ON public.referral_history USING btree (referral_id);
CREATE INDEX ix_referrals_household_id ON public.referrals USING btree (household_id);
CREATE INDEX ix_referrals_intake_id ON public.referrals USING btree (intake_id);
CREATE INDEX ix_referrals_program_status ON public.referrals USING btree (program_code, status);
CREATE INDEX ix_referrals_village ON public.referrals USING btree (village_code);
CREATE UNIQUE INDEX uq_referral_history_idem ON public.referral_history USING btree (referral_id, idempotency_key);
CREATE UNIQUE INDEX uq_referrals_open_household_program ON public.referrals USING btree (household_id, program_code) WHERE (status <> ALL (ARRAY['completed'::text, 'rejected'::text, 'expired'::text, 'withdrawn'::text]));
-- downgrade to base
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
