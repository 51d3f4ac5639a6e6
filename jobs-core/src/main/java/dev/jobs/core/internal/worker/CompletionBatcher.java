package dev.jobs.core.internal.worker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.Job;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.core.internal.ThrottledWarning;
import dev.jobs.core.spi.Completion;
import dev.jobs.core.spi.CompletionResult;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.Transition;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for successes: handler threads hand their completions here and wait, and one thread
 * writes whatever has queued up in a single {@link JobStore#completeAll} call. Under load many
 * outcomes share one transaction; a lone completion is written at once, with no added wait.
 * Fencing is unchanged: each completion is refused or recorded on its own, and its handler thread
 * learns which.
 *
 * <p>One writer, not several: a second one halves every batch and makes the database's two
 * backends contend on the same pages, which measured slower (jobs-bench, drain scenario).
 *
 * <p>Thread-safe: a blocking queue feeds the one writer thread.
 */
final class CompletionBatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CompletionBatcher.class);

    /** Most completions written in one transaction; bounds the statement and the locks held. */
    static final int MAX_BATCH = 256;

    private record Pending(Completion completion, CompletableFuture<CompletionResult> done) {}

    /**
     * The write of the batch a completion was in failed, and that failure, its {@linkplain
     * #getCause() cause}, was logged once for the whole batch: the job's own recording need not
     * log it again.
     */
    static final class BatchWriteFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BatchWriteFailed(RuntimeException cause) {
            super(cause.getMessage(), cause, false, false);
        }

        @Override
        public synchronized RuntimeException getCause() {
            return (RuntimeException) super.getCause();
        }
    }

    private final JobStore store;
    private final ThrottledWarning writeFailed;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile boolean open = true;

    /** @param writeFailed where a failed write is logged, shared with the runner's own recording failures */
    CompletionBatcher(JobStore store, ThrottledWarning writeFailed) {
        this.store = store;
        this.writeFailed = writeFailed;
        this.writer = Thread.ofPlatform().daemon().name("jobs-completions").start(this::writeLoop);
    }

    /**
     * Records a success and waits until it is written.
     *
     * @throws dev.jobs.core.LeaseLostException if fencing refused it
     * @throws StoreUnavailableException if the store could not be reached before the write
     * @throws BatchWriteFailed if the write of its batch failed (logged once for the batch)
     */
    Transition complete(Job running, Optional<JsonNode> result) {
        UUID jobId = running.id();
        var pending = new Pending(new Completion(running, result), new CompletableFuture<>());
        if (!open) {
            throw new StoreUnavailableException(
                    "the engine is shutting down; completion of " + jobId + " not sent", null);
        }
        queue.add(pending);
        try {
            return pending.done().get().orThrow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted while recording the completion of job " + jobId, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw new BatchWriteFailed(runtime);
            }
            throw new StoreUnavailableException("recording the completion of job " + jobId + " failed", e.getCause());
        }
    }

    private void writeLoop() {
        var batch = new ArrayList<Pending>();
        while (open || !queue.isEmpty()) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                if (!open) {
                    break;
                }
                continue;
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            write(batch);
            batch.clear();
        }
        queue.forEach(p -> p.done()
                .completeExceptionally(
                        new StoreUnavailableException("the engine stopped before the completion was written", null)));
    }

    private void write(List<Pending> batch) {
        try {
            List<CompletionResult> results =
                    store.completeAll(batch.stream().map(Pending::completion).toList());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).done().complete(results.get(i));
            }
        } catch (RuntimeException e) {
            // One line for the batch, never one per job (a batch is up to MAX_BATCH jobs, and a
            // store that is down fails every one of them the same way), and while the failures go on,
            // one every so often.
            writeFailed.log(
                    log,
                    "writing {} completions failed; each job's worker records it again while it holds the lease: {}",
                    batch.size(),
                    e.getMessage());
            batch.forEach(p -> p.done().completeExceptionally(e));
        }
    }

    @Override
    public void close() {
        open = false;
        writer.interrupt();
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
