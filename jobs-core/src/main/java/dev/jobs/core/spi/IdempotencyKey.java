package dev.jobs.core.spi;

import dev.jobs.core.IdempotencyKeyReusedException;
import java.util.Objects;
import java.util.UUID;

/**
 * A caller's idempotency key, with a fingerprint of the job it asked for. A store holds the key for
 * as long as the job created with it exists; creating another job with the key returns that job if
 * the fingerprints match and throws {@link dev.jobs.core.IdempotencyKeyReusedException} if not.
 *
 * @param key the caller's key
 * @param fingerprint a digest of what the caller asked for; equal requests have equal fingerprints
 */
public record IdempotencyKey(String key, String fingerprint) {
    public IdempotencyKey {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
    }

    /**
     * The job a stored key names, and the fingerprint of the request that created it.
     *
     * @param jobId the job returned for the key
     * @param fingerprint the first request's fingerprint
     */
    public record Holder(UUID jobId, String fingerprint) {
        public Holder {
            Objects.requireNonNull(jobId, "jobId");
            Objects.requireNonNull(fingerprint, "fingerprint");
        }

        /** @throws IdempotencyKeyReusedException unless {@code key} repeats this holder's request */
        public void requireMatches(IdempotencyKey key) {
            if (!fingerprint.equals(key.fingerprint())) {
                throw new IdempotencyKeyReusedException(key.key(), jobId);
            }
        }
    }
}
