-- Spillway spool, schema version 6.
-- A shipped migration is never edited: change the schema with a new, higher-numbered file.

-- How a row's `value` is stored: 0 as the producer sent it; 1 as one zstd frame.
-- A frame is decompressed with the dictionary `value_dictionary` names (NULL:
-- compressed alone) and must give back exactly `value_size` bytes. Rows written
-- before this version read as what they are: values stored as sent. Like
-- migration 5, added columns with constant defaults: O(1) whatever the spool holds.
ALTER TABLE records ADD COLUMN value_codec INTEGER NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN value_dictionary INTEGER;
ALTER TABLE records ADD COLUMN value_size INTEGER;
ALTER TABLE dead_letters ADD COLUMN value_codec INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dead_letters ADD COLUMN value_dictionary INTEGER;
ALTER TABLE dead_letters ADD COLUMN value_size INTEGER;
ALTER TABLE escrow ADD COLUMN value_codec INTEGER NOT NULL DEFAULT 0;
ALTER TABLE escrow ADD COLUMN value_dictionary INTEGER;
ALTER TABLE escrow ADD COLUMN value_size INTEGER;

-- zstd dictionaries, one per topic at most, trained from the first values of the
-- topic the spool took. Kept as long as the spool: rows that name one need it to
-- be read. Small and few (bounded by the writer), so not counted against the
-- spool's record bounds.
CREATE TABLE value_dictionaries (
    id          INTEGER PRIMARY KEY,
    topic       TEXT    NOT NULL,
    dictionary  BLOB    NOT NULL,
    created_at  INTEGER NOT NULL      -- milliseconds since 1970-01-01 UTC
);
