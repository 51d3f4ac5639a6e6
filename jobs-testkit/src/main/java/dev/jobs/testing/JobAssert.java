package dev.jobs.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.Job;
import dev.jobs.core.JobState;
import org.assertj.core.api.AbstractObjectAssert;

/**
 * AssertJ assertions for a job: {@code JobAssert.assertThat(job).isSucceeded().hasAttempts(3)}.
 * Failure messages show the job's state, attempts and last error.
 */
public final class JobAssert extends AbstractObjectAssert<JobAssert, Job> {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JobAssert(Job actual) {
        super(actual, JobAssert.class);
    }

    public static JobAssert assertThat(Job actual) {
        return new JobAssert(actual);
    }

    public JobAssert isInState(JobState expected) {
        isNotNull();
        if (actual.state() != expected) {
            failWithMessage("Expected job %s to be %s but it is %s", describe(), expected, actual.state());
        }
        return this;
    }

    public JobAssert isSucceeded() {
        return isInState(JobState.SUCCEEDED);
    }

    public JobAssert isFailed() {
        return isInState(JobState.FAILED);
    }

    public JobAssert isCancelled() {
        return isInState(JobState.CANCELLED);
    }

    public JobAssert isPending() {
        return isInState(JobState.PENDING);
    }

    public JobAssert isReady() {
        return isInState(JobState.READY);
    }

    public JobAssert isRunning() {
        return isInState(JobState.RUNNING);
    }

    public JobAssert isRetrying() {
        return isInState(JobState.RETRYING);
    }

    public JobAssert isScheduled() {
        return isInState(JobState.SCHEDULED);
    }

    public JobAssert isTerminal() {
        isNotNull();
        if (!actual.isTerminal()) {
            failWithMessage("Expected job %s to be finished but it is %s", describe(), actual.state());
        }
        return this;
    }

    public JobAssert hasAttempts(int expected) {
        isNotNull();
        if (actual.attempt() != expected) {
            failWithMessage(
                    "Expected job %s to have %d attempts but it has %d", describe(), expected, actual.attempt());
        }
        return this;
    }

    public JobAssert hasProgress(int expected) {
        isNotNull();
        if (actual.progress() != expected) {
            failWithMessage("Expected job %s at progress %d but it is at %d", describe(), expected, actual.progress());
        }
        return this;
    }

    /** The result equals this JSON text. */
    public JobAssert hasResultJson(String expectedJson) {
        isNotNull();
        JsonNode expected;
        try {
            expected = MAPPER.readTree(expectedJson);
        } catch (Exception e) {
            throw new IllegalArgumentException("expected result is not JSON: " + expectedJson, e);
        }
        if (actual.result().isEmpty()
                || !expected.equals(JobAssert::sameJsonValue, actual.result().get())) {
            failWithMessage(
                    "Expected job %s to have result %s but it has %s",
                    describe(),
                    expected,
                    actual.result().map(JsonNode::toString).orElse("none"));
        }
        return this;
    }

    /** Numbers compare by value, so {@code 42} matches whether Jackson read it as int or long. */
    private static int sameJsonValue(JsonNode a, JsonNode b) {
        if (a.equals(b)) {
            return 0;
        }
        boolean sameNumber = a.isNumber() && b.isNumber() && a.decimalValue().compareTo(b.decimalValue()) == 0;
        return sameNumber ? 0 : 1;
    }

    /** The last error's type or message contains this text. */
    public JobAssert hasLastErrorContaining(String text) {
        isNotNull();
        boolean found = actual.lastError()
                .map(e -> e.type().contains(text) || e.message().contains(text))
                .orElse(false);
        if (!found) {
            failWithMessage(
                    "Expected job %s to have a last error containing '%s' but it has %s",
                    describe(), text, actual.lastError().map(Object::toString).orElse("none"));
        }
        return this;
    }

    public JobAssert hasNoLastError() {
        isNotNull();
        if (actual.lastError().isPresent()) {
            failWithMessage(
                    "Expected job %s to have no error but it has %s",
                    describe(), actual.lastError().get());
        }
        return this;
    }

    private String describe() {
        return actual.id()
                + " ("
                + actual.type()
                + ", "
                + actual.state()
                + ", attempt "
                + actual.attempt()
                + "/"
                + actual.maxAttempts()
                + actual.lastError()
                        .map(e -> ", last error " + e.type() + ": " + e.message())
                        .orElse("")
                + ")";
    }
}
