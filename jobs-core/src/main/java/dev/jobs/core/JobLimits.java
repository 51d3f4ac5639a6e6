package dev.jobs.core;

import java.time.Duration;

/**
 * Every limit on what a job may hold, in one place: the Java API, the stores, the HTTP adapter and
 * the docs all read these constants.
 */
public final class JobLimits {
    /** Queue names: lower-case, digits, dot, dash and underscore; safe in keys, URLs and metrics. */
    public static final String QUEUE_PATTERN = "[a-z0-9][a-z0-9._-]{0,63}";

    /** Job types (handler names such as {@code email.send}): same alphabet as queues, longer. */
    public static final String TYPE_PATTERN = "[a-z0-9][a-z0-9._-]{0,127}";

    /** The queue a job goes to when none is named. */
    public static final String DEFAULT_QUEUE = "default";

    /**
     * Default payload limit, 1 MiB of JSON: large enough for any reasonable job description, small
     * enough that a claim batch stays cheap to move. Configurable per engine.
     */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

    /**
     * Default attempt limit. Twenty attempts with the default exponential backoff span about a day,
     * long enough to ride out most outages of the systems a job talks to.
     */
    public static final int DEFAULT_MAX_ATTEMPTS = 20;

    /** Upper bound on {@code maxAttempts}, so a typo cannot create a job that retries forever. */
    public static final int MAX_ATTEMPTS = 1000;

    /** Longest delay or timeout accepted, in milliseconds: a year (366 days). */
    public static final long MAX_DURATION_MS = 366L * 24 * 60 * 60 * 1000;

    /** Longest delay or timeout accepted: a year. */
    public static final Duration MAX_DURATION = Duration.ofMillis(MAX_DURATION_MS);

    /** Unique keys are indexed by the stores; keep them short. */
    public static final int MAX_UNIQUE_KEY_LENGTH = 255;

    /** Idempotency keys are indexed by the stores too. */
    public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 255;

    /** Finished attempts a job remembers, newest kept: enough for any sane retry policy's story. */
    public static final int MAX_ATTEMPT_HISTORY = 100;

    /** An attempt's error message in the history is cut to this; the job's last error keeps it whole. */
    public static final int MAX_ATTEMPT_ERROR_CHARS = 1000;

    /** Metadata is for small labels, not data. */
    public static final int MAX_METADATA_ENTRIES = 32;

    public static final int MAX_METADATA_KEY_LENGTH = 64;
    public static final int MAX_METADATA_VALUE_LENGTH = 1024;

    /** Most dependencies one job may declare. */
    public static final int MAX_DEPENDENCIES = 1000;

    /** Most jobs in one batch or graph. */
    public static final int MAX_BATCH_SIZE = 10_000;

    /** Largest page {@code list} returns. */
    public static final int MAX_PAGE_SIZE = 500;

    /** Longest ref of a {@link JobGraph}'s node that another node depends on: the name its result is read by. */
    public static final int MAX_REF_LENGTH = 255;

    /** Most durable steps one job may record ({@link JobContext#step}). */
    public static final int MAX_STEPS = 100;

    /** Longest name of a durable step. */
    public static final int MAX_STEP_NAME_LENGTH = 128;

    /** Stack traces are stored for people to read; longer ones are cut at this many characters. */
    public static final int MAX_STACK_TRACE_CHARS = 16_384;

    /** Longest error message kept. */
    public static final int MAX_ERROR_MESSAGE_CHARS = 4_096;

    /** Most jobs one remote worker may take in one acquire. */
    public static final int MAX_ACQUIRE_BATCH = 100;

    /** Shortest lease a remote worker may ask for: shorter ones would lapse between heartbeats. */
    public static final Duration MIN_LEASE = Duration.ofSeconds(1);

    /** Longest lease a remote worker may ask for; a longer job heartbeats to extend it. */
    public static final Duration MAX_LEASE = Duration.ofHours(1);

    /** Longest a remote acquire may wait for work, so a client cannot hold a server thread for ever. */
    public static final Duration MAX_ACQUIRE_WAIT = Duration.ofSeconds(30);

    /** Worker ids are kept in the registry; keep them short. */
    public static final int MAX_WORKER_ID_LENGTH = 255;

    /** Progress messages are for people watching a job. */
    public static final int MAX_PROGRESS_MESSAGE_LENGTH = 1024;

    /** Recurring job names: the job type alphabet, so a name can be the type it runs. */
    public static final String RECURRING_NAME_PATTERN = TYPE_PATTERN;

    /** Cron expressions are for people to read; anything longer is a mistake. */
    public static final int MAX_CRON_EXPRESSION_LENGTH = 256;

    /**
     * Most missed occurrences {@link MissedOccurrences#RUN_ALL} makes up at once: enough for a day
     * of a schedule every two minutes, few enough to create in one transaction.
     */
    public static final int MAX_RUN_ALL_LIMIT = 1000;

    /** Concurrency keys are counted by the stores per running job; keep them short. */
    public static final int MAX_CONCURRENCY_KEY_LENGTH = 255;

    /** Largest count a {@link QueueLimits} may set: beyond it a limit is no limit. */
    public static final int MAX_QUEUE_LIMIT = 1_000_000;

    /** Shortest start-rate window, in milliseconds: the engine's workers look for work about every second. */
    public static final long MIN_START_WINDOW_MS = 1000;

    /** Shortest start-rate window. */
    public static final Duration MIN_START_WINDOW = Duration.ofMillis(MIN_START_WINDOW_MS);

    /** Longest start-rate window, in milliseconds: a day. */
    public static final long MAX_START_WINDOW_MS = 24L * 60 * 60 * 1000;

    /** Longest start-rate window. */
    public static final Duration MAX_START_WINDOW = Duration.ofMillis(MAX_START_WINDOW_MS);

    private JobLimits() {}
}
