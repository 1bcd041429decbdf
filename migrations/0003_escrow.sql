-- Spillway spool, schema version 3.
-- A shipped migration is never edited: change the schema with a new, higher-numbered file.

-- Copies of records sent to Kafka at acknowledgement level `kafka`, kept while
-- Kafka has not answered, so a caller's promise survives a crash. Kafka's
-- acknowledgement deletes the copy; a failure turns it into a ready record
-- (moved into `records`); at start-up, copies a crashed run left move to
-- `records`, marked possibly persisted. Replay never reads this table.
CREATE TABLE escrow (
    intake_id          INTEGER PRIMARY KEY,  -- the pipeline's id for the record in the run that wrote it
    topic              TEXT    NOT NULL,
    key                BLOB,
    value              BLOB    NOT NULL,
    headers            BLOB,
    partition          INTEGER,
    created_at         INTEGER NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    cost               INTEGER NOT NULL,
    possibly_persisted INTEGER NOT NULL DEFAULT 0
);

-- Escrow copies count against the spool's bounds like any other row.
ALTER TABLE spool_totals ADD COLUMN escrow_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spool_totals ADD COLUMN escrow_bytes INTEGER NOT NULL DEFAULT 0;
