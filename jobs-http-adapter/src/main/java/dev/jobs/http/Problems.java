package dev.jobs.http;

import dev.jobs.core.IdempotencyKeyReusedException;
import dev.jobs.core.InvalidTransitionException;
import dev.jobs.core.JobNotFoundException;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.StepOrderException;
import dev.jobs.core.StoreFailureException;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.core.WorkerIdTakenException;
import dev.jobs.http.internal.ApiException;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every refusal as an RFC 9457 problem document: what an answer threw, mapped to its status and
 * words (nothing a client sent makes a 500), and what the server carrying the API refused before
 * handing a request on. Thread-safe.
 */
final class Problems {
    private static final Logger log = LoggerFactory.getLogger(JobsHttpApi.class);

    /** A server's reason phrase worth passing on: a few plain words, no code and no class names. */
    private static final Pattern PLAIN_REASON = Pattern.compile("[A-Za-z][A-Za-z0-9 ,:;'()/%=-]{0,199}");

    /** What a request past the header limits is told, whether the API or its server refused it. */
    static final String HEADER_LIMITS = "send at most " + JobsHttpApi.MAX_HEADERS + " headers of at most "
            + JobsHttpApi.MAX_HEADER_BYTES + " bytes in all";

    /** An answer to one request, which may throw what {@link #answer} maps. */
    @FunctionalInterface
    interface Answer {
        ApiResponse get() throws InterruptedException, IOException;
    }

    private final Responses responses;
    private final int maxBodyBytes;

    Problems(Responses responses, int maxBodyBytes) {
        this.responses = responses;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** What an upload past the body limit is told, whether the API or its server refused it. */
    String bodyTooLarge() {
        return "the body exceeds " + maxBodyBytes + " bytes (maxBodyBytes)";
    }

    /** The answer, or the problem that what it threw maps to. */
    ApiResponse answer(ApiRequest request, Answer answer) throws IOException {
        try {
            return answer.get();
        } catch (ApiException e) {
            return responses.problem(e.status(), e.title(), e.getMessage(), e.errors(), e.headers());
        } catch (JobValidationException e) {
            return responses.problem(
                    400,
                    "Invalid request",
                    "nothing was changed: the request has invalid fields",
                    e.errors(),
                    Map.of());
        } catch (JobNotFoundException e) {
            return responses.problem(404, "Not found", e.getMessage(), List.of(), Map.of());
        } catch (WorkerIdTakenException e) {
            return responses.problem(
                    409,
                    "Worker id taken",
                    e.getMessage(),
                    List.of(new FieldError("workerId", "belongs to another owner")),
                    Map.of());
        } catch (LeaseLostException e) {
            return responses.problem(
                    409, "Lease lost", e.getMessage() + "; stop working on this job", List.of(), Map.of());
        } catch (StepOrderException e) {
            return responses.problem(409, "Steps out of order", e.getMessage(), List.of(), Map.of());
        } catch (InvalidTransitionException e) {
            return responses.problem(409, "Conflict", e.getMessage(), List.of(), Map.of());
        } catch (IdempotencyKeyReusedException e) {
            return responses.problem(
                    422,
                    "Idempotency key reused",
                    e.getMessage(),
                    List.of(new FieldError(JobRoutes.IDEMPOTENCY_KEY, "already used for job " + e.existingJobId())),
                    Map.of());
        } catch (StoreUnavailableException e) {
            log.warn(
                    "request {} {} failed: the store is unavailable: {}",
                    request.method(),
                    request.path(),
                    e.getMessage());
            return responses.problem(
                    503,
                    "Store unavailable",
                    "the job store cannot be reached; try again shortly",
                    List.of(),
                    Map.of("Retry-After", "5"));
        } catch (StoreFailureException e) {
            // Not an outage: retrying would fail the same way. One line names it; the trace is for DEBUG.
            String incident = UUID.randomUUID().toString();
            log.error(
                    "request {} {} failed: the store refused it (incident {}): {}",
                    request.method(),
                    request.path(),
                    incident,
                    e.getMessage());
            log.debug("incident {}", incident, e);
            return responses.problem(
                    500,
                    "Store failure",
                    "the job store refused the operation; incident " + incident + " is in the server's log",
                    List.of(),
                    Map.of());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return responses.problem(
                    503, "Shutting down", "the server is stopping; try another instance", List.of(), Map.of());
        } catch (RuntimeException e) {
            String incident = UUID.randomUUID().toString();
            log.error("request {} {} failed unexpectedly (incident {})", request.method(), request.path(), incident, e);
            return responses.problem(
                    500,
                    "Internal error",
                    "the server failed; incident " + incident + " is in its log",
                    List.of(),
                    Map.of());
        }
    }

    /** See {@link JobsHttpApi#refusal}. */
    ApiResponse refusal(int status, String reason) {
        int code = status >= 400 && status <= 599 ? status : 500;
        String title = switch (code) {
            case 400 -> "Bad request";
            case 408 -> "Request timeout";
            case 413 -> "Body too large";
            case 414 -> "URI too long";
            case 431 -> "Request header fields too large";
            case 501 -> "Not implemented";
            case 505 -> "HTTP version not supported";
            default -> code < 500 ? "Refused" : "Server error";
        };
        String said = reason != null && PLAIN_REASON.matcher(reason).matches() && !reason.equalsIgnoreCase(title)
                ? ": " + reason
                : "";
        String detail = switch (code) {
            case 408 -> "the request was not sent in time";
            case 413 -> bodyTooLarge();
            case 431 -> HEADER_LIMITS;
            case 501, 505 -> "the server does not support what the request asks for" + said;
            default ->
                code < 500
                        ? "the request is not well-formed HTTP/1.1" + said
                        : "the server could not answer this request; its log says why";
        };
        return responses.problem(code, title, detail, List.of(), Map.of());
    }
}
