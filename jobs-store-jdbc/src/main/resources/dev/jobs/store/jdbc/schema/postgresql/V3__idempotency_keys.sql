-- Idempotency keys: each names the job its first request created (or was answered with), and a
-- fingerprint of that request. Kept until retention purges the job, then deleted with it.
CREATE TABLE ${prefix}idempotency_key (
    idempotency_key varchar(255) PRIMARY KEY,
    job_id          uuid         NOT NULL,
    fingerprint     varchar(64)  NOT NULL
);
CREATE INDEX ${prefix}idempotency_key_job ON ${prefix}idempotency_key (job_id);
