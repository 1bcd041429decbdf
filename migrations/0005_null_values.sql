-- Spillway spool, schema version 5.
-- A shipped migration is never edited: change the schema with a new, higher-numbered file.

-- 1 for a record whose value is Kafka's NULL (a tombstone on a compacted topic),
-- 0 for any other value, empty ones included; `value` then holds an empty blob.
-- SQLite cannot drop `NOT NULL` from `value` with ALTER TABLE: that takes
-- rebuilding each table (copying every row a spool holds, which may be
-- gigabytes, at the first start of a new version). An added column with a
-- constant default is a change to the schema alone, O(1) whatever the spool
-- holds, and every row already there reads as what it is: a non-NULL value.
-- (NULL header values are told apart inside the headers blob: RecordHeaderCodec.)
ALTER TABLE records ADD COLUMN value_is_null INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dead_letters ADD COLUMN value_is_null INTEGER NOT NULL DEFAULT 0;
ALTER TABLE escrow ADD COLUMN value_is_null INTEGER NOT NULL DEFAULT 0;
