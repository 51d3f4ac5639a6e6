-- Recurring jobs: each schedule's definition (the engine's JSON, which the store does not read)
-- and its high-water mark: every occurrence up to up_to has been created or dropped. version
-- changes with every write, so instances that read the same mark race to move it and one wins.
CREATE TABLE ${prefix}recurring (
    name       varchar(128) NOT NULL PRIMARY KEY,
    schedule   varchar(512) NOT NULL,
    definition longtext     NOT NULL,
    up_to      datetime(6)  NOT NULL,
    version    bigint       NOT NULL,
    updated_at datetime(6)  NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
