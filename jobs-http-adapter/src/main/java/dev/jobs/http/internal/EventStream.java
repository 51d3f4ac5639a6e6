package dev.jobs.http.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEvent;
import dev.jobs.core.JobListener;
import dev.jobs.http.ApiResponse.StreamingBody;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One client's server-sent event stream of job events (RFC: the WHATWG {@code text/event-stream}
 * format). Each event is {@code event: <kind>} with {@code data:} the kind, the time and the job
 * without its payload and result.
 *
 * <p>The engine's listener only queues events, so a slow client never slows a job down. A client
 * that falls {@link #BUFFERED_EVENTS} events behind gets an {@code overflow} event and the stream
 * ends: it should read the current state again ({@code GET /api/jobs}) and reconnect. A comment
 * line every {@link #KEEP_ALIVE} keeps proxies from closing an idle stream and finds clients that
 * left.
 */
public final class EventStream implements StreamingBody {
    /** Events one stream may hold for a slow client before it is cut off. */
    public static final int BUFFERED_EVENTS = 10_000;

    /** How often an idle stream sends a comment line. */
    public static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    /** Milliseconds a client's EventSource waits before it reconnects. */
    private static final int RECONNECT_MS = 2000;

    private final JobEngine engine;
    private final JobJson json;
    private final ObjectMapper mapper;
    private final Set<String> queues;
    private final Set<String> types;
    private final FairShare.Permit permit;

    /**
     * @param queues only events of jobs on these queues; empty for every queue
     * @param types only events of jobs of these types; empty for every type
     * @param permit this stream's place among those open, given back when it ends
     */
    public EventStream(
            JobEngine engine,
            JobJson json,
            ObjectMapper mapper,
            Set<String> queues,
            Set<String> types,
            FairShare.Permit permit) {
        this.engine = engine;
        this.json = json;
        this.mapper = mapper;
        this.queues = Set.copyOf(queues);
        this.types = Set.copyOf(types);
        this.permit = permit;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException, InterruptedException {
        BlockingQueue<JobEvent> pending = new ArrayBlockingQueue<>(BUFFERED_EVENTS);
        var overflowed = new AtomicBoolean();
        JobListener listener = event -> {
            if (wanted(event) && !pending.offer(withoutData(event))) {
                overflowed.set(true);
            }
        };
        try (JobEngine.Subscription subscription = engine.subscribe(listener)) {
            // Subscribed before the first line, so a client that waits for it misses nothing after.
            write(out, "retry: " + RECONNECT_MS + "\n: connected\n\n");
            var batch = new ArrayList<JobEvent>();
            while (true) {
                JobEvent first = pending.poll(KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
                if (overflowed.get()) {
                    write(
                            out,
                            frame(
                                    "overflow",
                                    mapper.createObjectNode()
                                            .put("kind", "overflow")
                                            .put(
                                                    "detail",
                                                    "this client fell " + BUFFERED_EVENTS
                                                            + " events behind; read the jobs again and reconnect")));
                    return;
                }
                if (first == null) {
                    write(out, ": keep-alive\n\n");
                    continue;
                }
                batch.clear();
                batch.add(first);
                pending.drainTo(batch, 500);
                var text = new StringBuilder();
                for (JobEvent event : batch) {
                    text.append(frame(kindName(event.kind()), event(event)));
                }
                write(out, text.toString());
            }
        } finally {
            permit.close();
        }
    }

    /**
     * The event as the stream sends it, without the job's payload, result and attempts: the stream
     * leaves them out, and a client that falls behind must not hold up to {@value #BUFFERED_EVENTS}
     * payloads in the server's memory.
     */
    static JobEvent withoutData(JobEvent event) {
        Job job = event.job().toBuilder()
                .payload(NullNode.getInstance())
                .result(null)
                .attempts(List.of())
                .build();
        return new JobEvent(event.kind(), job, event.at());
    }

    private boolean wanted(JobEvent event) {
        return (queues.isEmpty() || queues.contains(event.job().queue()))
                && (types.isEmpty() || types.contains(event.job().type()));
    }

    private ObjectNode event(JobEvent event) {
        ObjectNode node = mapper.createObjectNode();
        node.put("kind", kindName(event.kind()));
        node.put("at", event.at().toString());
        node.set("job", json.summary(event.job()));
        return node;
    }

    private static String kindName(JobEvent.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    /** One event; the data is one line of JSON, which holds no raw line breaks. */
    private static String frame(String name, ObjectNode data) {
        return "event: " + name + "\ndata: " + data + "\n\n";
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
