package dev.jobs.testing;

import dev.jobs.core.spi.JobStore;
import java.time.Clock;
import org.junit.jupiter.api.Nested;

/**
 * The contract every {@link JobStore} must keep, every area of it: a store's test class extends this
 * and says how to make a fresh, empty store on the given clock, and each area's tests then run
 * against it, grouped by area in the report. Each area is its own class, to read the contract area
 * by area or to run one alone: {@link CreationConformance}, {@link ClaimConformance}, {@link
 * OutcomeConformance}, {@link DependencyConformance}, {@link LimitConformance}, {@link
 * QueryConformance}, {@link RegistryConformance}, {@link RecurringConformance} and {@link
 * DurableWorkConformance}.
 *
 * <p>The store must read time from the clock it is given: the suite moves a {@link VirtualClock}
 * to expire leases and reach {@code runAt}s.
 */
public abstract class JobStoreConformanceTest {
    /** A new store holding no jobs, paused queues or workers, reading time from {@code clock}. */
    protected abstract JobStore createStore(Clock clock);

    @Nested
    class Creation extends CreationConformance {
        @Override
        protected JobStore createStore(Clock clock) {
            return JobStoreConformanceTest.this.createStore(clock);
        }
    }

    @Nested
    class Claim extends ClaimConformance {
        @Override
        protected JobStore createStore(Clock clock) {
            return JobStoreConformanceTest.this.createStore(clock);
        }
    }

    @Nested
    class Outcome extends OutcomeConformance {
        @Override
        protected JobStore createStore(Clock clock) {
            return JobStoreConformanceTest.this.createStore(clock);
        }
    }

    @Nested
    class Dependency extends DependencyConformance {
        @Override
        protected JobStore createStore(Clock clock) {
            return JobStoreConformanceTest.this.createStore(clock);
        }
    }

    @Nested
    class Limit extends LimitConformance {
        @Override
        protected JobStore createStore(Clock clock) {
            return JobStoreConformanceTest.this.createStore(clock);
        }
    }

    @Nested
    class Recurring extends RecurringConformance {
        @Override
        protected JobStore createStore(Clock clock) {
            return JobStoreConformanceTest.this.createStore(clock);
        }
    }

    @Nested
    class DurableWork extends DurableWorkConformance {
        @Override
        protected JobStore createStore(Clock clock) {
            return JobStoreConformanceTest.this.createStore(clock);
        }
    }

    @Nested
    class Registry extends RegistryConformance {
        @Override
        protected JobStore createStore(Clock clock) {
            return JobStoreConformanceTest.this.createStore(clock);
        }
    }

    @Nested
    class Query extends QueryConformance {
        @Override
        protected JobStore createStore(Clock clock) {
            return JobStoreConformanceTest.this.createStore(clock);
        }
    }
}
