package dev.jobs.http.internal;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A bounded number of things a request holds for a long time (an acquire waiting for work, an
 * event stream), at most so many in all and so many per token, so that one token cannot take them
 * all and what is left of the server's request slots stays free for the rest of the API. Taking one
 * is atomic: a thousand requests at once get exactly the share there is.
 *
 * <p>Past a token's share the answer is {@code 429} (that client asks too much); past the server's
 * whole number it is {@code 503} (the server is busy); both with {@code Retry-After} and naming the
 * setting that bounds them. Thread-safe.
 */
public final class FairShare {
    private final String things;
    private final int max;
    private final String maxSetting;
    private final int perToken;
    private final String perTokenSetting;
    private final Duration retryAfter;

    private final Map<String, Integer> held = new HashMap<>(); // per token; guarded by this
    private int total; // guarded by this

    /**
     * @param things what is counted, plural, as a client reads it ("waiting acquires")
     * @param max how many in all
     * @param maxSetting the builder setting that sets {@code max}, named in the refusal
     * @param perToken how many for one token
     * @param perTokenSetting the builder setting that sets {@code perToken}
     * @param retryAfter when a refused client should try again
     */
    public FairShare(
            String things, int max, String maxSetting, int perToken, String perTokenSetting, Duration retryAfter) {
        this.things = things;
        this.max = max;
        this.maxSetting = maxSetting;
        this.perToken = perToken;
        this.perTokenSetting = perTokenSetting;
        this.retryAfter = retryAfter;
    }

    /**
     * Takes one for {@code holder} (a token's fingerprint), to be given back by closing the permit.
     *
     * @throws ApiException {@code 429} past the holder's share, {@code 503} past the whole number
     */
    public Permit take(String holder) {
        synchronized (this) {
            int mine = held.getOrDefault(holder, 0);
            if (mine >= perToken) {
                throw refusal(
                        429,
                        "Too many " + things + " for this token",
                        perToken + " " + things + " are already open for this token (" + perTokenSetting + ")");
            }
            if (total >= max) {
                throw refusal(
                        503,
                        "Too many " + things,
                        max + " " + things + " are already open on this server (" + maxSetting + ")");
            }
            held.put(holder, mine + 1);
            total++;
        }
        return new Permit(holder);
    }

    /** How many are held in all. */
    public synchronized int total() {
        return total;
    }

    private synchronized void giveBack(String holder) {
        held.computeIfPresent(holder, (h, n) -> n <= 1 ? null : n - 1);
        total--;
    }

    private ApiException refusal(int status, String title, String detail) {
        long seconds = Math.max(1, retryAfter.toSeconds());
        return new ApiException(
                status,
                title,
                detail + "; try again in " + seconds + " s",
                List.of(),
                Map.of("Retry-After", Long.toString(seconds)));
    }

    /** One taken; closing it gives it back, once however often it is closed. */
    public final class Permit implements AutoCloseable {
        private final String holder;
        private final AtomicBoolean open = new AtomicBoolean(true);

        private Permit(String holder) {
            this.holder = holder;
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                giveBack(holder);
            }
        }
    }
}
