-- Spillway spool, schema version 4.
-- A shipped migration is never edited: change the schema with a new, higher-numbered file.

-- The upstream cluster's partition count of each topic Kafka clients produced to
-- through the Kafka listener, as the cluster last gave it: after a restart while
-- Kafka is away, clients are still told the true count, and their choice of
-- partition is kept. Not records: the spool's bounds do not count these rows.
CREATE TABLE topic_partitions (
    topic      TEXT    PRIMARY KEY,
    partitions INTEGER NOT NULL CHECK (partitions > 0),
    updated_at INTEGER NOT NULL  -- milliseconds since 1970, when the cluster said so
);
