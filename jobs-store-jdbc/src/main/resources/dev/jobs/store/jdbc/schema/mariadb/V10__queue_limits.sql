-- Queue limits and concurrency keys. A job may carry a concurrency key; a queue may have a row here
-- with its limits (null for a limit not set) and its start bucket: the tokens it held at tokens_at.
-- A claim on a limited queue locks the queue's row, so that claims on it take turns and each counts
-- the queue's running jobs (through the lease index) and spends the bucket after the last one.
ALTER TABLE ${prefix}job ADD COLUMN concurrency_key varchar(255) COLLATE utf8mb4_bin;

CREATE TABLE ${prefix}queue_limit (
    queue               varchar(64)      NOT NULL PRIMARY KEY,
    max_running         integer,
    max_starts          integer,
    starts_window_ms    bigint,
    max_running_per_key integer,
    tokens              double precision NOT NULL,
    tokens_at           datetime(6)      NOT NULL,
    updated_at          datetime(6)      NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
