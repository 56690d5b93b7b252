-- upgrade to 0001
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    nik_last4 text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
-- upgrade to 0002
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    nik_last4 text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
-- upgrade to 0003
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
-- upgrade to 0004
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.duplicate_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    intake_id uuid NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT pk_duplicate_keys PRIMARY KEY (principal, idempotency_key);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT fk_duplicate_keys_intake_id_intakes FOREIGN KEY (intake_id) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
-- upgrade to 0005
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.duplicate_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    intake_id uuid NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.identity_reads (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    subject text NOT NULL,
    role text NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    referral_id uuid,
    program_code text,
    purpose text NOT NULL
);
ALTER TABLE public.identity_reads ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.identity_reads_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT pk_duplicate_keys PRIMARY KEY (principal, idempotency_key);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.identity_reads
    ADD CONSTRAINT pk_identity_reads PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_identity_reads_household ON public.identity_reads USING btree (household_id, at);
CREATE INDEX ix_identity_reads_village ON public.identity_reads USING btree (village_code, at);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT fk_duplicate_keys_intake_id_intakes FOREIGN KEY (intake_id) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
-- upgrade to 0006
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.duplicate_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    intake_id uuid NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.identity_reads (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    subject text NOT NULL,
    role text NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    referral_id uuid,
    program_code text,
    purpose text NOT NULL
);
ALTER TABLE public.identity_reads ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.identity_reads_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT pk_duplicate_keys PRIMARY KEY (principal, idempotency_key);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.identity_reads
    ADD CONSTRAINT pk_identity_reads PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_identity_reads_household ON public.identity_reads USING btree (household_id, at);
CREATE INDEX ix_identity_reads_village ON public.identity_reads USING btree (village_code, at);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT fk_duplicate_keys_intake_id_intakes FOREIGN KEY (intake_id) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
-- upgrade to 0007
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.duplicate_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    intake_id uuid NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.identity_reads (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    subject text NOT NULL,
    role text NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    referral_id uuid,
    program_code text,
    purpose text NOT NULL
);
ALTER TABLE public.identity_reads ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.identity_reads_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    visit_of uuid,
    content_hash text,
    possible_duplicates jsonb
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.registry_members (
    nik_hash text NOT NULL,
    kk_hash text NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT pk_duplicate_keys PRIMARY KEY (principal, idempotency_key);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.identity_reads
    ADD CONSTRAINT pk_identity_reads PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT pk_registry_members PRIMARY KEY (nik_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_identity_reads_household ON public.identity_reads USING btree (household_id, at);
CREATE INDEX ix_identity_reads_village ON public.identity_reads USING btree (village_code, at);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE INDEX ix_intakes_visit_of ON public.intakes USING btree (visit_of);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_registry_members_kk_hash ON public.registry_members USING btree (kk_hash);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT fk_duplicate_keys_intake_id_intakes FOREIGN KEY (intake_id) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_visit_of_intakes FOREIGN KEY (visit_of) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT fk_registry_members_kk_hash_registry_households FOREIGN KEY (kk_hash) REFERENCES public.registry_households(kk_hash);
-- upgrade to 0008
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.duplicate_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    intake_id uuid NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    kk_number text,
    address text
);
CREATE TABLE public.identity_reads (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    subject text NOT NULL,
    role text NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    referral_id uuid,
    program_code text,
    purpose text NOT NULL
);
ALTER TABLE public.identity_reads ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.identity_reads_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.intake_programs (
    code text NOT NULL,
    name jsonb NOT NULL,
    required_documents text[] NOT NULL,
    published_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL,
    reference text
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    visit_of uuid,
    content_hash text,
    possible_duplicates jsonb,
    contact text,
    missing_documents text[]
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL,
    nik text
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.registry_members (
    nik_hash text NOT NULL,
    kk_hash text NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT pk_duplicate_keys PRIMARY KEY (principal, idempotency_key);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.identity_reads
    ADD CONSTRAINT pk_identity_reads PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_programs
    ADD CONSTRAINT pk_intake_programs PRIMARY KEY (code);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT pk_registry_members PRIMARY KEY (nik_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_identity_reads_household ON public.identity_reads USING btree (household_id, at);
CREATE INDEX ix_identity_reads_village ON public.identity_reads USING btree (village_code, at);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE INDEX ix_intakes_visit_of ON public.intakes USING btree (visit_of);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_registry_members_kk_hash ON public.registry_members USING btree (kk_hash);
CREATE UNIQUE INDEX uq_intake_referrals_reference ON public.intake_referrals USING btree (reference);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT fk_duplicate_keys_intake_id_intakes FOREIGN KEY (intake_id) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_visit_of_intakes FOREIGN KEY (visit_of) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT fk_registry_members_kk_hash_registry_households FOREIGN KEY (kk_hash) REFERENCES public.registry_households(kk_hash);
-- upgrade to 0009
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.duplicate_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    intake_id uuid NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    kk_number text,
    address text
);
CREATE TABLE public.identity_reads (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    subject text NOT NULL,
    role text NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    referral_id uuid,
    program_code text,
    purpose text NOT NULL
);
ALTER TABLE public.identity_reads ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.identity_reads_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.intake_programs (
    code text NOT NULL,
    name jsonb NOT NULL,
    required_documents text[] NOT NULL,
    published_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL,
    reference text,
    kind text DEFAULT 'need'::text NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    visit_of uuid,
    content_hash text,
    possible_duplicates jsonb,
    contact text,
    missing_documents text[],
    complaint jsonb
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL,
    nik text
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.registry_members (
    nik_hash text NOT NULL,
    kk_hash text NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT pk_duplicate_keys PRIMARY KEY (principal, idempotency_key);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.identity_reads
    ADD CONSTRAINT pk_identity_reads PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_programs
    ADD CONSTRAINT pk_intake_programs PRIMARY KEY (code);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT pk_registry_members PRIMARY KEY (nik_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_identity_reads_household ON public.identity_reads USING btree (household_id, at);
CREATE INDEX ix_identity_reads_village ON public.identity_reads USING btree (village_code, at);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE INDEX ix_intakes_visit_of ON public.intakes USING btree (visit_of);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_registry_members_kk_hash ON public.registry_members USING btree (kk_hash);
CREATE UNIQUE INDEX uq_intake_referrals_reference ON public.intake_referrals USING btree (reference);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT fk_duplicate_keys_intake_id_intakes FOREIGN KEY (intake_id) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_visit_of_intakes FOREIGN KEY (visit_of) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT fk_registry_members_kk_hash_registry_households FOREIGN KEY (kk_hash) REFERENCES public.registry_households(kk_hash);
-- upgrade to 0010
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.duplicate_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    intake_id uuid NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    kk_number text,
    address text
);
CREATE TABLE public.identity_reads (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    subject text NOT NULL,
    role text NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    referral_id uuid,
    program_code text,
    purpose text NOT NULL
);
ALTER TABLE public.identity_reads ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.identity_reads_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.intake_programs (
    code text NOT NULL,
    name jsonb NOT NULL,
    required_documents text[] NOT NULL,
    published_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL,
    reference text,
    kind text DEFAULT 'need'::text NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    visit_of uuid,
    content_hash text,
    possible_duplicates jsonb,
    contact text,
    missing_documents text[],
    complaint jsonb
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL,
    nik text
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.registry_members (
    nik_hash text NOT NULL,
    kk_hash text NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT pk_duplicate_keys PRIMARY KEY (principal, idempotency_key);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.identity_reads
    ADD CONSTRAINT pk_identity_reads PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_programs
    ADD CONSTRAINT pk_intake_programs PRIMARY KEY (code);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT pk_registry_members PRIMARY KEY (nik_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_identity_reads_household ON public.identity_reads USING btree (household_id, at);
CREATE INDEX ix_identity_reads_village ON public.identity_reads USING btree (village_code, at);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE INDEX ix_intakes_visit_of ON public.intakes USING btree (visit_of);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_registry_members_kk_hash ON public.registry_members USING btree (kk_hash);
CREATE UNIQUE INDEX uq_intake_referrals_reference ON public.intake_referrals USING btree (reference);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT fk_duplicate_keys_intake_id_intakes FOREIGN KEY (intake_id) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_visit_of_intakes FOREIGN KEY (visit_of) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT fk_registry_members_kk_hash_registry_households FOREIGN KEY (kk_hash) REFERENCES public.registry_households(kk_hash);
-- downgrade to 0009
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.duplicate_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    intake_id uuid NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    kk_number text,
    address text
);
CREATE TABLE public.identity_reads (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    subject text NOT NULL,
    role text NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    referral_id uuid,
    program_code text,
    purpose text NOT NULL
);
ALTER TABLE public.identity_reads ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.identity_reads_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.intake_programs (
    code text NOT NULL,
    name jsonb NOT NULL,
    required_documents text[] NOT NULL,
    published_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL,
    reference text,
    kind text DEFAULT 'need'::text NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    visit_of uuid,
    content_hash text,
    possible_duplicates jsonb,
    contact text,
    missing_documents text[],
    complaint jsonb
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL,
    nik text
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.registry_members (
    nik_hash text NOT NULL,
    kk_hash text NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT pk_duplicate_keys PRIMARY KEY (principal, idempotency_key);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.identity_reads
    ADD CONSTRAINT pk_identity_reads PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_programs
    ADD CONSTRAINT pk_intake_programs PRIMARY KEY (code);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT pk_registry_members PRIMARY KEY (nik_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_identity_reads_household ON public.identity_reads USING btree (household_id, at);
CREATE INDEX ix_identity_reads_village ON public.identity_reads USING btree (village_code, at);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE INDEX ix_intakes_visit_of ON public.intakes USING btree (visit_of);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_registry_members_kk_hash ON public.registry_members USING btree (kk_hash);
CREATE UNIQUE INDEX uq_intake_referrals_reference ON public.intake_referrals USING btree (reference);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT fk_duplicate_keys_intake_id_intakes FOREIGN KEY (intake_id) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_visit_of_intakes FOREIGN KEY (visit_of) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT fk_registry_members_kk_hash_registry_households FOREIGN KEY (kk_hash) REFERENCES public.registry_households(kk_hash);
-- downgrade to 0008
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.duplicate_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    intake_id uuid NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    kk_number text,
    address text
);
CREATE TABLE public.identity_reads (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    subject text NOT NULL,
    role text NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    referral_id uuid,
    program_code text,
    purpose text NOT NULL
);
ALTER TABLE public.identity_reads ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.identity_reads_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.intake_programs (
    code text NOT NULL,
    name jsonb NOT NULL,
    required_documents text[] NOT NULL,
    published_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL,
    reference text
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    visit_of uuid,
    content_hash text,
    possible_duplicates jsonb,
    contact text,
    missing_documents text[]
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL,
    nik text
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.registry_members (
    nik_hash text NOT NULL,
    kk_hash text NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT pk_duplicate_keys PRIMARY KEY (principal, idempotency_key);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.identity_reads
    ADD CONSTRAINT pk_identity_reads PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_programs
    ADD CONSTRAINT pk_intake_programs PRIMARY KEY (code);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT pk_registry_members PRIMARY KEY (nik_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_identity_reads_household ON public.identity_reads USING btree (household_id, at);
CREATE INDEX ix_identity_reads_village ON public.identity_reads USING btree (village_code, at);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE INDEX ix_intakes_visit_of ON public.intakes USING btree (visit_of);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_registry_members_kk_hash ON public.registry_members USING btree (kk_hash);
CREATE UNIQUE INDEX uq_intake_referrals_reference ON public.intake_referrals USING btree (reference);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT fk_duplicate_keys_intake_id_intakes FOREIGN KEY (intake_id) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_visit_of_intakes FOREIGN KEY (visit_of) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT fk_registry_members_kk_hash_registry_households FOREIGN KEY (kk_hash) REFERENCES public.registry_households(kk_hash);
-- downgrade to 0007
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.duplicate_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    intake_id uuid NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.identity_reads (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    subject text NOT NULL,
    role text NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    referral_id uuid,
    program_code text,
    purpose text NOT NULL
);
ALTER TABLE public.identity_reads ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.identity_reads_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    visit_of uuid,
    content_hash text,
    possible_duplicates jsonb
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.registry_members (
    nik_hash text NOT NULL,
    kk_hash text NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT pk_duplicate_keys PRIMARY KEY (principal, idempotency_key);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.identity_reads
    ADD CONSTRAINT pk_identity_reads PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT pk_registry_members PRIMARY KEY (nik_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_identity_reads_household ON public.identity_reads USING btree (household_id, at);
CREATE INDEX ix_identity_reads_village ON public.identity_reads USING btree (village_code, at);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE INDEX ix_intakes_visit_of ON public.intakes USING btree (visit_of);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
CREATE INDEX ix_registry_members_kk_hash ON public.registry_members USING btree (kk_hash);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT fk_duplicate_keys_intake_id_intakes FOREIGN KEY (intake_id) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_visit_of_intakes FOREIGN KEY (visit_of) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.registry_members
    ADD CONSTRAINT fk_registry_members_kk_hash_registry_households FOREIGN KEY (kk_hash) REFERENCES public.registry_households(kk_hash);
-- downgrade to 0006
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.duplicate_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    intake_id uuid NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.identity_reads (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    subject text NOT NULL,
    role text NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    referral_id uuid,
    program_code text,
    purpose text NOT NULL
);
ALTER TABLE public.identity_reads ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.identity_reads_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT pk_duplicate_keys PRIMARY KEY (principal, idempotency_key);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.identity_reads
    ADD CONSTRAINT pk_identity_reads PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_identity_reads_household ON public.identity_reads USING btree (household_id, at);
CREATE INDEX ix_identity_reads_village ON public.identity_reads USING btree (village_code, at);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT fk_duplicate_keys_intake_id_intakes FOREIGN KEY (intake_id) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
-- downgrade to 0005
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.duplicate_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    intake_id uuid NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.identity_reads (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    subject text NOT NULL,
    role text NOT NULL,
    household_id uuid NOT NULL,
    village_code text NOT NULL,
    referral_id uuid,
    program_code text,
    purpose text NOT NULL
);
ALTER TABLE public.identity_reads ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.identity_reads_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT pk_duplicate_keys PRIMARY KEY (principal, idempotency_key);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.identity_reads
    ADD CONSTRAINT pk_identity_reads PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_identity_reads_household ON public.identity_reads USING btree (household_id, at);
CREATE INDEX ix_identity_reads_village ON public.identity_reads USING btree (village_code, at);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT fk_duplicate_keys_intake_id_intakes FOREIGN KEY (intake_id) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
-- downgrade to 0004
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.duplicate_keys (
    principal text NOT NULL,
    idempotency_key text NOT NULL,
    intake_id uuid NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT pk_duplicate_keys PRIMARY KEY (principal, idempotency_key);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
ALTER TABLE ONLY public.duplicate_keys
    ADD CONSTRAINT fk_duplicate_keys_intake_id_intakes FOREIGN KEY (intake_id) REFERENCES public.intakes(id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
-- downgrade to 0003
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
-- downgrade to 0002
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL,
    nik_last4 text
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (seq);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
-- downgrade to 0001
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.households (
    id uuid NOT NULL,
    kk_hash text NOT NULL,
    village_code text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.intake_referrals (
    referral_id uuid NOT NULL,
    intake_id uuid NOT NULL,
    program_code text NOT NULL,
    status text NOT NULL,
    reason_code text,
    changed_at timestamp with time zone NOT NULL
);
CREATE TABLE public.intakes (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    idempotency_key text,
    principal text NOT NULL,
    village_code text NOT NULL,
    needs text[] NOT NULL,
    priority_lanes text[] NOT NULL,
    registry jsonb NOT NULL,
    consent jsonb NOT NULL,
    taken_by jsonb NOT NULL,
    request_hash text NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL
);
CREATE TABLE public.members (
    id uuid NOT NULL,
    household_id uuid NOT NULL,
    nik_hash text NOT NULL,
    name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL,
    relationship text NOT NULL,
    attributes jsonb NOT NULL,
    nik_last4 text
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
CREATE TABLE public.registry_households (
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT pk_households PRIMARY KEY (id);
ALTER TABLE ONLY public.intake_referrals
    ADD CONSTRAINT pk_intake_referrals PRIMARY KEY (referral_id);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT pk_intakes PRIMARY KEY (id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT pk_members PRIMARY KEY (id);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT pk_outbox PRIMARY KEY (id);
ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT pk_processed_events PRIMARY KEY (consumer, event_id);
ALTER TABLE ONLY public.registry_households
    ADD CONSTRAINT pk_registry_households PRIMARY KEY (kk_hash);
ALTER TABLE ONLY public.households
    ADD CONSTRAINT uq_households_kk_hash UNIQUE (kk_hash);
ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT uq_outbox_seq UNIQUE (seq);
CREATE INDEX ix_households_village_code ON public.households USING btree (village_code);
CREATE INDEX ix_intake_referrals_intake_id ON public.intake_referrals USING btree (intake_id);
CREATE INDEX ix_intakes_household_submitted ON public.intakes USING btree (household_id, submitted_at);
CREATE UNIQUE INDEX ix_intakes_idempotency ON public.intakes USING btree (principal, idempotency_key);
CREATE INDEX ix_intakes_village_code ON public.intakes USING btree (village_code);
CREATE UNIQUE INDEX ix_members_household_nik ON public.members USING btree (household_id, nik_hash);
CREATE INDEX ix_members_nik_hash ON public.members USING btree (nik_hash);
CREATE INDEX ix_processed_events_processed_at ON public.processed_events USING btree (processed_at);
ALTER TABLE ONLY public.intakes
    ADD CONSTRAINT fk_intakes_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
ALTER TABLE ONLY public.members
    ADD CONSTRAINT fk_members_household_id_households FOREIGN KEY (household_id) REFERENCES public.households(id);
-- downgrade to base
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
