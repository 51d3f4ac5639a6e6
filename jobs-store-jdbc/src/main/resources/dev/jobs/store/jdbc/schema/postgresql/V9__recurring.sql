-- Recurring jobs: each schedule's definition (the engine's JSON, which the store does not read)
-- and its high-water mark: every occurrence up to up_to has been created or dropped. version
-- changes with every write, so instances that read the same mark race to move it and one wins.
CREATE TABLE ${prefix}recurring (
    name       varchar(128) PRIMARY KEY,
    schedule   varchar(512) NOT NULL,
    definition text         NOT NULL,
    up_to      timestamp(6) NOT NULL,
    version    bigint       NOT NULL,
    updated_at timestamp(6) NOT NULL
);
