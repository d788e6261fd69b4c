-- Intake: one receipt per delivery ('<channel>:<channel message id>'), written in the same transaction as the
-- intake processor's consumer_offsets, so a redelivered report is recognised across restarts. The unique index
-- on tracking_id keeps tracking ids unique (a collision makes the processor take the next candidate).
CREATE TABLE intake_receipts (
    delivery_key     text        PRIMARY KEY,
    channel          text        NOT NULL,
    outcome          text        NOT NULL CHECK (outcome IN ('accepted', 'rejected')),
    complaint_id     uuid        UNIQUE,
    tracking_id      text        UNIQUE,
    tracking_attempt integer     NOT NULL DEFAULT 0,
    received_at      timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((outcome = 'accepted') = (tracking_id IS NOT NULL AND complaint_id IS NOT NULL))
);

-- Reporter notifications handed to a channel sender, so a redelivered notification is not sent twice.
CREATE TABLE notifications_sent (
    notification_id text        PRIMARY KEY,
    channel         text        NOT NULL,
    kind            text        NOT NULL,
    outcome         text        NOT NULL,
    sent_at         timestamptz NOT NULL DEFAULT now()
);
