-- Deadline processor state (streams/deadlines.py), written in the same transaction as its consumer_offsets.

-- What the processor keeps of each complaint: the facts that choose deadline policies and stamp its events.
CREATE TABLE deadline_complaints (
    complaint_id   text        PRIMARY KEY,
    tracking_id    text        NOT NULL,
    correlation_id text        NOT NULL,
    report_type    text        NOT NULL,
    category       text,
    region_code    text        NOT NULL,
    agency         text,
    unit           text,
    log_partition  integer     NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- One row per round of one clocked stage (deadline_id = '<complaint>:<stage>:<round>'): the facts of its clock,
-- the deadline they give now (null while paused) and when the timer loop must look at it next (alarm_at, null
-- when nothing more can fire). The timer loop selects due rows FOR UPDATE SKIP LOCKED.
CREATE TABLE deadline_clocks (
    deadline_id   text        PRIMARY KEY,
    complaint_id  text        NOT NULL REFERENCES deadline_complaints (complaint_id),
    stage         text        NOT NULL CHECK (stage IN ('VERIFICATION', 'FIRST_RESPONSE', 'FOLLOW_UP', 'CLOSURE')),
    round         integer     NOT NULL CHECK (round >= 1),
    agency        text,
    unit          text,
    region_code   text        NOT NULL,
    policy        jsonb       NOT NULL,
    started_at    timestamptz NOT NULL,
    started_by    text        NOT NULL,
    pauses        jsonb       NOT NULL DEFAULT '[]',
    paused_since  timestamptz,
    stopped_at    timestamptz,
    warned        boolean     NOT NULL DEFAULT false,
    breached      boolean     NOT NULL DEFAULT false,
    escalations   integer     NOT NULL DEFAULT 0,
    due_at        timestamptz,
    alarm_at      timestamptz,
    log_partition integer     NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (complaint_id, stage, round)
);
CREATE INDEX deadline_clocks_due ON deadline_clocks (log_partition, alarm_at) WHERE alarm_at IS NOT NULL;

-- Every alarm fired, once per (deadline, alarm, step): WARNING, BREACH, ESCALATION steps 0.., CLOSE.
-- message_id is the event id (or the Close command id) published for it.
CREATE TABLE deadline_firings (
    deadline_id text        NOT NULL REFERENCES deadline_clocks (deadline_id),
    alarm       text        NOT NULL CHECK (alarm IN ('WARNING', 'BREACH', 'ESCALATION', 'CLOSE')),
    step        integer     NOT NULL,
    message_id  text        NOT NULL,
    to_agency   text,
    fired_at    timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deadline_id, alarm, step)
);

-- Complaint events already applied to the clocks, so a republished event (same id, later offset) moves nothing.
CREATE TABLE deadline_applied_events (
    event_id     text PRIMARY KEY,
    complaint_id text NOT NULL
);
