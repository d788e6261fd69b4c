-- Which log the stored offsets belong to (aduan/log_guard.py). The broker's topic <prefix>.log-identity holds
-- one record naming the log; this table keeps the name this database saw first, per topic prefix. A different
-- name, or a log without one, means the log was lost or replaced, and no processor may trust its offsets.
-- read_models_stale_since is set by `aduan offsets reset` and cleared by `aduan projections rebuild`.
CREATE TABLE log_identity (
    topic_prefix            text        PRIMARY KEY,
    log_name                text        NOT NULL,
    recorded_at             timestamptz NOT NULL DEFAULT now(),
    read_models_stale_since timestamptz
);
