-- Queue limits and concurrency keys. A job may carry a concurrency key; a queue may have a row here
-- with its limits (null for a limit not set) and its start bucket: the tokens it held at tokens_at.
-- A claim on a limited queue locks the queue's row, so that claims on it take turns and each counts
-- the queue's running jobs (through the lease index) and spends the bucket after the last one.
ALTER TABLE ${prefix}job ADD COLUMN concurrency_key varchar(255);

CREATE TABLE ${prefix}queue_limit (
    queue               varchar(64)      PRIMARY KEY,
    max_running         integer,
    max_starts          integer,
    starts_window_ms    bigint,
    max_running_per_key integer,
    tokens              double precision NOT NULL,
    tokens_at           timestamp(6)     NOT NULL,
    updated_at          timestamp(6)     NOT NULL
);
