-- Lifecycle processor state (streams/lifecycle.py), written in the same transaction as its consumer_offsets.

-- Each complaint's state as the decider folded it (aduan.domain.lifecycle.ComplaintState as JSON), with the
-- columns the command line tools look complaints up by.
CREATE TABLE lifecycle_complaints (
    complaint_id text        PRIMARY KEY,
    tracking_id  text        NOT NULL,
    status       text        NOT NULL,
    agency       text,
    state        jsonb       NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lifecycle_complaints_tracking_id ON lifecycle_complaints (tracking_id);

-- The outcome of every command decided: 'accepted' (a command id is carried out once; a resent one is dropped)
-- or the refusal code with its reason (a refused command may be resent and is then decided again).
CREATE TABLE lifecycle_commands (
    command_id   text        PRIMARY KEY,
    complaint_id text        NOT NULL,
    command      text        NOT NULL,
    outcome      text        NOT NULL,
    reason       text,
    decided_at   timestamptz NOT NULL DEFAULT now()
);
