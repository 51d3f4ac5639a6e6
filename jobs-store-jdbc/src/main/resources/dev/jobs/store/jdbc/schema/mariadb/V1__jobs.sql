-- jobs schema v1 for MySQL 8 and MariaDB 10.6+. ${prefix} is the configured table prefix.
CREATE TABLE ${prefix}job (
    id                    char(36)     NOT NULL PRIMARY KEY,
    queue                 varchar(64)  NOT NULL,
    type                  varchar(128) NOT NULL,
    payload               longtext     NOT NULL,
    priority              integer      NOT NULL,
    state                 varchar(16)  NOT NULL,
    run_at                datetime(6)  NOT NULL,
    attempt               integer      NOT NULL,
    max_attempts          integer      NOT NULL,
    timeout_ms            bigint,
    depends_on            text         NOT NULL,
    on_dependency_failure varchar(8)   NOT NULL,
    pending_dependencies  integer      NOT NULL DEFAULT 0,
    unique_key            varchar(255),
    progress              integer      NOT NULL,
    progress_message      text,
    result                longtext,
    last_error_type       varchar(255),
    last_error_message    text,
    last_error_stack      mediumtext,
    lease_owner           varchar(255),
    lease_token           char(36),
    lease_expires_at      datetime(6),
    cancel_requested      boolean      NOT NULL,
    created_at            datetime(6)  NOT NULL,
    started_at            datetime(6),
    finished_at           datetime(6),
    updated_at            datetime(6)  NOT NULL,
    metadata              text         NOT NULL,
    retry_policy          text
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- No partial indexes here: each index leads with state, so a claim or a maintenance query seeks
-- straight to the live rows of one state and never walks the finished history.
CREATE INDEX ${prefix}job_claim ON ${prefix}job (state, queue, priority, run_at, id);
CREATE INDEX ${prefix}job_lease ON ${prefix}job (state, lease_expires_at);
CREATE INDEX ${prefix}job_scheduled ON ${prefix}job (state, run_at);
CREATE INDEX ${prefix}job_finished ON ${prefix}job (queue, finished_at);

CREATE TABLE ${prefix}dependency (
    job_id        char(36) NOT NULL,
    depends_on_id char(36) NOT NULL,
    PRIMARY KEY (job_id, depends_on_id),
    INDEX ${prefix}dependency_parent (depends_on_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE ${prefix}unique_key (
    unique_key varchar(255) NOT NULL PRIMARY KEY,
    job_id     char(36)     NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE ${prefix}paused_queue (
    queue varchar(64) NOT NULL PRIMARY KEY
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE ${prefix}worker (
    id                varchar(255) NOT NULL PRIMARY KEY,
    host              varchar(255) NOT NULL,
    queues            text         NOT NULL,
    concurrency       integer      NOT NULL,
    running           integer      NOT NULL,
    started_at        datetime(6)  NOT NULL,
    last_heartbeat_at datetime(6)  NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
