-- jobs schema v1 for H2 2.x, the embedded default. ${prefix} is the configured table prefix.
CREATE TABLE ${prefix}job (
    id                    uuid         PRIMARY KEY,
    queue                 varchar(64)  NOT NULL,
    type                  varchar(128) NOT NULL,
    payload               clob         NOT NULL,
    priority              integer      NOT NULL,
    state                 varchar(16)  NOT NULL,
    run_at                timestamp(6) NOT NULL,
    attempt               integer      NOT NULL,
    max_attempts          integer      NOT NULL,
    timeout_ms            bigint,
    depends_on            clob         NOT NULL,
    on_dependency_failure varchar(8)   NOT NULL,
    pending_dependencies  integer      NOT NULL DEFAULT 0,
    unique_key            varchar(255),
    progress              integer      NOT NULL,
    progress_message      clob,
    result                clob,
    last_error_type       varchar(255),
    last_error_message    clob,
    last_error_stack      clob,
    lease_owner           varchar(255),
    lease_token           uuid,
    lease_expires_at      timestamp(6),
    cancel_requested      boolean      NOT NULL,
    created_at            timestamp(6) NOT NULL,
    started_at            timestamp(6),
    finished_at           timestamp(6),
    updated_at            timestamp(6) NOT NULL,
    metadata              clob         NOT NULL,
    retry_policy          clob
);

-- State-led indexes, as on MariaDB: H2 has no partial indexes.
CREATE INDEX ${prefix}job_claim ON ${prefix}job (state, queue, priority, run_at, id);
CREATE INDEX ${prefix}job_lease ON ${prefix}job (state, lease_expires_at);
CREATE INDEX ${prefix}job_scheduled ON ${prefix}job (state, run_at);
CREATE INDEX ${prefix}job_finished ON ${prefix}job (queue, finished_at);

CREATE TABLE ${prefix}dependency (
    job_id        uuid NOT NULL,
    depends_on_id uuid NOT NULL,
    PRIMARY KEY (job_id, depends_on_id)
);
CREATE INDEX ${prefix}dependency_parent ON ${prefix}dependency (depends_on_id);

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
    queues            clob         NOT NULL,
    concurrency       integer      NOT NULL,
    running           integer      NOT NULL,
    started_at        timestamp(6) NOT NULL,
    last_heartbeat_at timestamp(6) NOT NULL
);
