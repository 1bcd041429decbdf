-- Spillway spool, schema version 1.
-- A shipped migration is never edited: change the schema with a new, higher-numbered file.

-- Records waiting for Kafka, oldest first by id.
CREATE TABLE records (
    id          INTEGER PRIMARY KEY,      -- spool id, monotonic, never reused
    topic       TEXT    NOT NULL,
    key         BLOB,                     -- NULL when the record has no key
    value       BLOB    NOT NULL,
    headers     BLOB,                     -- NULL when there are none; see RecordHeaderCodec
    partition   INTEGER,                  -- NULL lets the producer's partitioner choose
    created_at  INTEGER NOT NULL,         -- milliseconds since 1970-01-01 UTC
    attempts    INTEGER NOT NULL DEFAULT 0,
    cost        INTEGER NOT NULL          -- bytes charged against the spool bound
);

-- Records Kafka refused for reasons about the record or its topic; kept for inspection.
CREATE TABLE dead_letters (
    id          INTEGER PRIMARY KEY,
    topic       TEXT    NOT NULL,
    key         BLOB,
    value       BLOB    NOT NULL,
    headers     BLOB,
    partition   INTEGER,
    created_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    cost        INTEGER NOT NULL,
    reason      TEXT    NOT NULL
);

-- Running totals, updated once per batch, so counts and sizes are O(1) to read.
CREATE TABLE spool_totals (
    singleton     INTEGER PRIMARY KEY CHECK (singleton = 1),
    next_id       INTEGER NOT NULL,
    ready_count   INTEGER NOT NULL,
    ready_bytes   INTEGER NOT NULL,
    dead_count    INTEGER NOT NULL,
    dead_bytes    INTEGER NOT NULL,
    evicted_count INTEGER NOT NULL,
    evicted_bytes INTEGER NOT NULL
);
INSERT INTO spool_totals VALUES (1, 1, 0, 0, 0, 0, 0, 0);
