-- Dispatcher state (streams/dispatcher.py), written in the same transaction as its consumer_offsets: each
-- complaint's dossier (aduan.agency.inbox.Dossier as JSON): the content agencies may see (never an anonymous
-- reporter's identity), where the complaint is, and the events already turned into inbox items.
CREATE TABLE dispatch_dossiers (
    complaint_id    text        PRIMARY KEY,
    handling_agency text,
    dossier         jsonb       NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
