package dev.jobs.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A time bound written as what bounds it: the sum of named terms (the lease, the reclaim scan's
 * interval, a Redis claim hold, ...) plus a margin for a loaded two-core machine of {@value
 * #MARGIN_PERCENT} % of that sum, at least {@link #MIN_MARGIN}. A reliability scenario's ready
 * deadline, how long a ready job may wait beyond its turn, is one ({@link
 * Workload#withReadyDeadline}); so is any wait a test bounds by the design rather than by a guess.
 * Writing the terms where the bound is set keeps it honest: a wait past the margin shows a term the
 * design left out, or code that holds things up longer than it should, and a failure names the
 * terms so that the next reader knows which.
 *
 * <pre>{@code
 * Deadline deadline = Deadline.of("Redis claim hold", RedisJobQueue.CLAIM_HOLD)
 *         .plus("store network timeout", NETWORK_TIMEOUT);
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param terms what the bound is made of, at least one
 */
public record Deadline(List<Term> terms) {
    /** The margin's share of the terms, in percent. */
    public static final int MARGIN_PERCENT = 25;

    /** The least margin: short deadlines still meet a garbage collection and a busy scheduler. */
    public static final Duration MIN_MARGIN = Duration.ofSeconds(2);

    /**
     * One thing the bound is made of.
     *
     * @param name what it is, as a reader of a failure should see it
     * @param length how long it may last
     */
    public record Term(String name, Duration length) {
        public Term {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("a term needs a name");
            }
            if (length.isNegative() || length.isZero()) {
                throw new IllegalArgumentException("term '" + name + "' must be positive, not " + length);
            }
        }
    }

    public Deadline {
        terms = List.copyOf(terms);
        if (terms.isEmpty()) {
            throw new IllegalArgumentException("a bound needs at least one term");
        }
    }

    /** A bound of one term (and the margin). */
    public static Deadline of(String name, Duration length) {
        return new Deadline(List.of(new Term(name, length)));
    }

    /** This bound with one more term. */
    public Deadline plus(String name, Duration length) {
        var more = new ArrayList<>(terms);
        more.add(new Term(name, length));
        return new Deadline(more);
    }

    /** The terms added up, without the margin. */
    public Duration sumOfTerms() {
        return terms.stream().map(Term::length).reduce(Duration.ZERO, Duration::plus);
    }

    /** {@value #MARGIN_PERCENT} % of the terms, or {@link #MIN_MARGIN} if that is more. */
    public Duration margin() {
        Duration share = sumOfTerms().multipliedBy(MARGIN_PERCENT).dividedBy(100);
        return share.compareTo(MIN_MARGIN) >= 0 ? share : MIN_MARGIN;
    }

    /** The bound itself: the terms and the margin. */
    public Duration total() {
        return sumOfTerms().plus(margin());
    }

    /** E.g. {@code 10.1 s = claim hold 3.0 s + network timeout 5.0 s + poll interval 50 ms + margin 2.0 s}. */
    @Override
    public String toString() {
        var text = new StringBuilder(seconds(total())).append(" = ");
        for (Term term : terms) {
            text.append(term.name()).append(' ').append(seconds(term.length())).append(" + ");
        }
        return text.append("margin ").append(seconds(margin())).toString();
    }

    /** Seconds to a tenth, or milliseconds below a second, so that a short term does not read as 0. */
    static String seconds(Duration duration) {
        long millis = duration.toMillis();
        return millis < 1_000 ? millis + " ms" : String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
