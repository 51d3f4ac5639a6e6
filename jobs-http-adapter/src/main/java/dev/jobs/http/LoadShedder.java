package dev.jobs.http;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers at most {@code maxConcurrentRequests} requests at once; one more is refused with {@code
 * 503} and {@code Retry-After} at once rather than queued behind them, and the refusals are logged
 * at most every half a minute. What monitoring reads is always answered. Thread-safe.
 */
final class LoadShedder {
    private static final Logger log = LoggerFactory.getLogger(JobsHttpApi.class);

    /** Paths answered however many requests are in progress: what monitoring reads. */
    private static final Set<String> ALWAYS_ANSWERED = Set.of("/health", "/metrics");

    /** How often shedding is logged, at most. */
    private static final Duration SHED_LOG_EVERY = Duration.ofSeconds(30);

    /** An answer that holds a request slot while it runs. */
    @FunctionalInterface
    interface Answer {
        ApiResponse get() throws IOException;
    }

    private final int maxConcurrentRequests;
    private final Semaphore inFlight;
    private final Responses responses;
    private final AtomicLong shedRequests = new AtomicLong();
    private final AtomicLong lastShedLog = new AtomicLong(System.nanoTime() - SHED_LOG_EVERY.toNanos());

    LoadShedder(int maxConcurrentRequests, Responses responses) {
        this.maxConcurrentRequests = maxConcurrentRequests;
        this.inFlight = new Semaphore(maxConcurrentRequests);
        this.responses = responses;
    }

    /** The answer, given a slot; {@code 503} at once when every slot is taken. */
    ApiResponse admit(ApiRequest head, Answer answer) throws IOException {
        if (ALWAYS_ANSWERED.contains(head.path())) {
            return answer.get();
        }
        if (!inFlight.tryAcquire()) {
            return shed(head);
        }
        try {
            return answer.get();
        } finally {
            inFlight.release();
        }
    }

    private ApiResponse shed(ApiRequest request) {
        long shedSoFar = shedRequests.incrementAndGet();
        long now = System.nanoTime();
        long last = lastShedLog.get();
        if (now - last >= SHED_LOG_EVERY.toNanos() && lastShedLog.compareAndSet(last, now)) {
            log.warn(
                    "overloaded: {} requests in progress, answering {} {} with 503 ({} shed since start)",
                    maxConcurrentRequests,
                    request.method(),
                    request.path(),
                    shedSoFar);
        }
        return responses.problem(
                503,
                "Overloaded",
                maxConcurrentRequests + " requests are in progress on this server (maxConcurrentRequests); try"
                        + " again in a second or another instance",
                List.of(),
                Map.of("Retry-After", "1"));
    }
}
