CREATE SCHEMA IF NOT EXISTS projection;
SET LOCAL search_path TO projection, public;

-- Read models of the complaint event log, all in schema "projection" (readers use projection.<name>).
-- Every file in projections/migrations starts with the two lines above: `aduan projections rebuild` runs the
-- rest of each file in a fresh schema, replays the log into it and swaps it in by renaming the schemas.
-- Timestamps are UTC; codes are those of the events (region codes from regions.csv, agency codes from the
-- directory, category codes from categories.yaml).

-- Reference data from aduan/data, (re)loaded by the projector at start and by every rebuild.
CREATE TABLE regions (
    code          text PRIMARY KEY,
    name          text NOT NULL,
    level         text NOT NULL CHECK (level IN ('province', 'regency', 'district')),
    parent_code   text,
    province_code text NOT NULL
);
CREATE INDEX regions_parent ON regions (parent_code);

CREATE TABLE agencies (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL,
    region_code text
);

CREATE TABLE categories (
    code    text PRIMARY KEY,
    name    text NOT NULL,
    name_en text NOT NULL
);

-- One row per complaint: where it is now and when each step happened. The reporter's identity is never stored
-- for an anonymous report, and is nulled everywhere by PersonalDataErased.
CREATE TABLE complaint_status (
    complaint_id           text PRIMARY KEY,
    tracking_id            text NOT NULL,
    report_type            text NOT NULL,
    channel                text NOT NULL,
    category               text,
    region_code            text NOT NULL,
    regency_code           text,
    province_code          text,
    title                  text NOT NULL,
    description            text NOT NULL,
    address                text,
    latitude               double precision,
    longitude              double precision,
    anonymous              boolean NOT NULL,
    confidential           boolean NOT NULL,
    reporter_ref           text,
    reporter_name          text,
    reporter_email         text,
    reporter_phone         text,
    reporter_social_handle text,
    personal_data_erased   boolean NOT NULL,
    status                 text NOT NULL,
    agency                 text,
    unit                   text,
    copies                 text[] NOT NULL,
    routing_round          integer NOT NULL,
    forwards               integer NOT NULL,
    reopen_count           integer NOT NULL,
    submitted_at           timestamptz NOT NULL,
    submitted_day          date NOT NULL,
    verified_at            timestamptz,
    postponed_until        timestamptz,
    dispositioned_at       timestamptz,
    acknowledged_at        timestamptz,
    follow_up_at           timestamptz,
    resolved_at            timestamptz,
    closed_at              timestamptz,
    rejected_at            timestamptz,
    withdrawn_at           timestamptz,
    deadline_stage         text,
    deadline_due_at        timestamptz,
    deadline_breached      boolean NOT NULL,
    missed_deadline        boolean NOT NULL,
    escalation_level       text,
    escalated_to           text,
    rating                 integer,
    rated_at               timestamptz,
    last_event_at          timestamptz NOT NULL,
    events                 integer NOT NULL
);
CREATE INDEX complaint_status_tracking_id ON complaint_status (tracking_id);
CREATE INDEX complaint_status_agency ON complaint_status (agency);

-- Every complaint event once (event_id is the idempotency key), in log order per complaint.
CREATE TABLE complaint_timeline (
    event_id        text PRIMARY KEY,
    complaint_id    text NOT NULL,
    log_partition   integer NOT NULL,
    log_offset      bigint NOT NULL,
    occurred_at     timestamptz NOT NULL,
    event           text NOT NULL,
    status          text,
    actor_kind      text NOT NULL,
    actor_id        text,
    actor_agency    text,
    agency          text,
    stage           text,
    detail          text,
    internal_detail text
);
CREATE INDEX complaint_timeline_complaint ON complaint_timeline (complaint_id, log_offset);

-- Every StageCompleted event: the source of the on-time rates.
CREATE TABLE stage_completions (
    event_id     text PRIMARY KEY,
    complaint_id text NOT NULL,
    stage        text NOT NULL,
    agency       text,
    started_at   timestamptz NOT NULL,
    due_at       timestamptz NOT NULL,
    completed_at timestamptz NOT NULL,
    paused_ms    bigint NOT NULL,
    on_time      boolean NOT NULL
);

-- Complaints by local submission day, region, category, type and channel, kept incrementally by the projector
-- (a verification or forward that changes a complaint's region or category moves it between rows; a row that
-- drops to zero is deleted in the same transaction, so the table holds exactly what a rebuild computes).
CREATE TABLE complaint_counts (
    day           date    NOT NULL,
    province_code text,
    regency_code  text,
    category      text,
    report_type   text    NOT NULL,
    channel       text    NOT NULL,
    complaints    integer NOT NULL,
    CONSTRAINT complaint_counts_key UNIQUE NULLS NOT DISTINCT (day, province_code, regency_code, category,
                                                                report_type, channel)
);
CREATE INDEX complaint_counts_emptied ON complaint_counts (day) WHERE complaints = 0;

-- The next log offset to apply per partition, written in the same transaction as the read models.
CREATE TABLE projection_offsets (
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    PRIMARY KEY (topic, partition)
);
