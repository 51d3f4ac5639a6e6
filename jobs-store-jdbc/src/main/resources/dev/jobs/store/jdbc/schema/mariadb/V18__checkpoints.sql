-- Each job's last checkpoint (JobContext.checkpoint): the state its handler saved last, under the
-- lease of the attempt that saved it, read back by later attempts. Rewritten in place by each
-- save; deleted with its job when it is purged.
CREATE TABLE ${prefix}checkpoint (
    job_id   char(36) NOT NULL PRIMARY KEY,
    state    longtext NOT NULL,
    saved_at datetime(6) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
