package dev.jobs.core.spi;

import dev.jobs.core.LeaseLostException;
import java.util.Objects;
import java.util.Optional;

/**
 * What became of one completion in a batch: recorded, with its transition, or refused by fencing.
 *
 * @param transition the recorded change, when the lease was still held
 * @param refused why it was refused, when it was not; nothing was changed for this job
 */
public record CompletionResult(Optional<Transition> transition, Optional<LeaseLostException> refused) {
    public CompletionResult {
        Objects.requireNonNull(transition, "transition");
        Objects.requireNonNull(refused, "refused");
        if (transition.isPresent() == refused.isPresent()) {
            throw new IllegalArgumentException("a completion is either recorded or refused");
        }
    }

    public static CompletionResult recorded(Transition transition) {
        return new CompletionResult(Optional.of(transition), Optional.empty());
    }

    public static CompletionResult refused(LeaseLostException reason) {
        return new CompletionResult(Optional.empty(), Optional.of(reason));
    }

    /** The transition, or the refusal thrown. */
    public Transition orThrow() {
        return transition.orElseThrow(refused::get);
    }
}
