-- Spillway spool, schema version 2.
-- A shipped migration is never edited: change the schema with a new, higher-numbered file.

-- 1 for a record that may already be in Kafka: its delivery was on the wire when
-- it failed (librdkafka's POSSIBLY_PERSISTED), so replaying it may duplicate it.
ALTER TABLE records ADD COLUMN possibly_persisted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dead_letters ADD COLUMN possibly_persisted INTEGER NOT NULL DEFAULT 0;
