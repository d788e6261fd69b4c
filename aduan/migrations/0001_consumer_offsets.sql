-- Offsets consumed by processors that keep their state in PostgreSQL. A processor writes its state changes and
-- the next offset to read in one transaction, and on start resumes from here, not from Kafka's group offsets.
CREATE TABLE consumer_offsets (
    consumer    text    NOT NULL,
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, partition)
);
