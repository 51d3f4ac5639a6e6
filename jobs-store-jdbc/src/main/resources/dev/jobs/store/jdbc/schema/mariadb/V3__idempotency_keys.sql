-- Idempotency keys: each names the job its first request created (or was answered with), and a
-- fingerprint of that request. Kept until retention purges the job, then deleted with it.
CREATE TABLE ${prefix}idempotency_key (
    idempotency_key varchar(255) NOT NULL PRIMARY KEY,
    job_id          char(36)     NOT NULL,
    fingerprint     varchar(64)  NOT NULL,
    INDEX ${prefix}idempotency_key_job (job_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
