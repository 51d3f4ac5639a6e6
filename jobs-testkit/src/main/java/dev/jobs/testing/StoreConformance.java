package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.Job;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.JobStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * What every area of the {@link JobStore} contract starts from: a fresh, empty store on a {@link
 * VirtualClock} before each test, closed after it, and the helpers the areas share. A store's test
 * extends {@link JobStoreConformanceTest}, which runs every area; or one area's class alone.
 *
 * <p>The store must read time from the clock it is given: the suite moves the clock to expire
 * leases and reach {@code runAt}s.
 */
@ExtendWith(StoreConformance.NamesTheStore.class)
public abstract class StoreConformance {
    /**
     * Says which store a failure is of: every store runs the same areas, so a report names the
     * area's class, shared by all of them, and would not otherwise say.
     */
    static final class NamesTheStore implements TestExecutionExceptionHandler {
        @Override
        public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
            String store = context.getRequiredTestInstances()
                    .getAllInstances()
                    .getFirst()
                    .getClass()
                    .getSimpleName();
            if (failure instanceof AssertionError) {
                var named = new AssertionError("[" + store + "] " + failure.getMessage(), failure);
                named.setStackTrace(failure.getStackTrace());
                throw named;
            }
            failure.addSuppressed(new Exception("in " + store));
            throw failure;
        }
    }

    protected static final Duration LEASE = Duration.ofSeconds(30);

    /** How long the workers these tests register may go silent before they count as dead. */
    protected static final Duration WORKER_LEASE = Duration.ofSeconds(40);

    protected static final ObjectMapper MAPPER = new ObjectMapper();

    protected VirtualClock clock;

    protected JobStore store;

    protected NewJobs jobs;

    /** A new store holding no jobs, paused queues or workers, reading time from {@code clock}. */
    protected abstract JobStore createStore(Clock clock);

    @BeforeEach
    void createFreshStore() {
        clock = new VirtualClock();
        store = createStore(clock);
        jobs = new NewJobs(clock);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    protected Job create(NewJobs.Draft draft) {
        return store.create(List.of(draft.build())).get(0);
    }

    protected List<Job> acquire(int max, String... queues) {
        Set<String> names = queues.length == 0 ? Set.of("default") : Set.of(queues);
        return store.acquire(new AcquireRequest("worker-1", names, max, LEASE));
    }

    protected Job acquireOne() {
        List<Job> acquired = acquire(1);
        assertThat(acquired).as("acquired jobs").hasSize(1);
        return acquired.get(0);
    }

    protected Job current(Job job) {
        return store.get(job.id()).orElseThrow();
    }

    protected static UUID token(Job running) {
        return running.leaseToken().orElseThrow();
    }

    /** The running job as a worker holding a different (stale or forged) lease would see it. */
    protected static Job withLeaseToken(Job running, UUID leaseToken) {
        return running.toBuilder()
                .lease(
                        running.leaseOwner().orElseThrow(),
                        leaseToken,
                        running.leaseExpiresAt().orElseThrow())
                .build();
    }

    /** A worker reporting now, which counts as dead {@link #WORKER_LEASE} from now. */
    protected WorkerInfo worker(String id, int running) {
        Instant now = clock.instant();
        Instant started = store.workers().stream()
                .filter(w -> w.id().equals(id))
                .map(WorkerInfo::startedAt)
                .findFirst()
                .orElse(now);
        return new WorkerInfo(
                id,
                WorkerInfo.ENGINE_OWNER,
                "host-" + id,
                Set.of("default"),
                4,
                running,
                started,
                now,
                now.plus(WORKER_LEASE));
    }
}
