-- jobs schema v1 for PostgreSQL 12+. ${prefix} is the configured table prefix (default jobs_).
CREATE TABLE ${prefix}job (
    id                    uuid         PRIMARY KEY,
    queue                 varchar(64)  NOT NULL,
    type                  varchar(128) NOT NULL,
    payload               text         NOT NULL,
    priority              integer      NOT NULL,
    state                 varchar(16)  NOT NULL,
    run_at                timestamp(6) NOT NULL,
    attempt               integer      NOT NULL,
    max_attempts          integer      NOT NULL,
    timeout_ms            bigint,
    depends_on            text         NOT NULL,
    on_dependency_failure varchar(8)   NOT NULL,
    pending_dependencies  integer      NOT NULL DEFAULT 0,
    unique_key            varchar(255),
    progress              integer      NOT NULL,
    progress_message      text,
    result                text,
    last_error_type       varchar(255),
    last_error_message    text,
    last_error_stack      text,
    lease_owner           varchar(255),
    lease_token           uuid,
    lease_expires_at      timestamp(6),
    cancel_requested      boolean      NOT NULL,
    created_at            timestamp(6) NOT NULL,
    started_at            timestamp(6),
    finished_at           timestamp(6),
    updated_at            timestamp(6) NOT NULL,
    metadata              text         NOT NULL,
    retry_policy          text
);

-- Partial indexes hold only the rows each maintenance query or claim looks for, so their size
-- (and the cost of a claim) follows the live work, not the finished history.
CREATE INDEX ${prefix}job_claim ON ${prefix}job (queue, priority, run_at, id)
    WHERE state IN ('READY', 'SCHEDULED', 'RETRYING');
CREATE INDEX ${prefix}job_lease ON ${prefix}job (lease_expires_at) WHERE state = 'RUNNING';
CREATE INDEX ${prefix}job_scheduled ON ${prefix}job (run_at) WHERE state = 'SCHEDULED';
CREATE INDEX ${prefix}job_finished ON ${prefix}job (queue, finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE ${prefix}dependency (
    job_id        uuid NOT NULL,
    depends_on_id uuid NOT NULL,
    PRIMARY KEY (job_id, depends_on_id)
);
CREATE INDEX ${prefix}dependency_parent ON ${prefix}dependency (depends_on_id);

-- Held by the unfinished job that owns the key; deleted when it finishes.
CREATE TABLE ${prefix}unique_key (
    unique_key varchar(255) PRIMARY KEY,
    job_id     uuid         NOT NULL
);

CREATE TABLE ${prefix}paused_queue (
    queue varchar(64) PRIMARY KEY
);

CREATE TABLE ${prefix}worker (
    id                varchar(255) PRIMARY KEY,
    host              varchar(255) NOT NULL,
    queues            text         NOT NULL,
    concurrency       integer      NOT NULL,
    running           integer      NOT NULL,
    started_at        timestamp(6) NOT NULL,
    last_heartbeat_at timestamp(6) NOT NULL
);
