package dev.jobs.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A page of the worker registry, in id order.
 *
 * @param workers the workers on this page
 * @param nextCursor the last id on this page when more may follow; pass it as {@code after} for the
 *     next page
 */
public record WorkerPage(List<WorkerInfo> workers, Optional<String> nextCursor) {
    public WorkerPage {
        workers = List.copyOf(workers);
        Objects.requireNonNull(nextCursor, "nextCursor");
    }
}
