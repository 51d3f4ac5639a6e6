package dev.jobs.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.CronSchedule;
import dev.jobs.core.IntervalSchedule;
import dev.jobs.core.JobSpec;
import dev.jobs.core.MissedOccurrences;
import dev.jobs.core.RecurringJob;
import dev.jobs.core.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A recurring job's definition as the JSON the store keeps for it, and back. The store never reads
 * it; every engine instance does, so it holds only what can be written down (no retry policy
 * object, no code). The same definition always encodes to the same text, so that a store can tell
 * an unchanged definition by its text. Stateless and thread-safe.
 */
public final class RecurringCodec {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private RecurringCodec() {}

    public static JsonNode encode(RecurringJob recurring) {
        ObjectNode root = NODES.objectNode();
        ObjectNode schedule = root.putObject("schedule");
        switch (recurring.schedule()) {
            case CronSchedule cron -> {
                schedule.put("cron", cron.expression());
                schedule.put("zone", cron.zone().getId());
            }
            case IntervalSchedule interval -> {
                schedule.put("every", interval.interval().toString());
                schedule.put("anchor", interval.anchor().toString());
            }
        }
        root.put("missed", recurring.missed().name());
        root.put("grace", recurring.grace().toString());
        root.put("runAllLimit", recurring.runAllLimit());
        JobSpec template = recurring.template();
        ObjectNode job = root.putObject("template");
        job.put("type", template.type());
        job.put("queue", template.queue());
        job.set("payload", template.payload());
        job.put("priority", template.priority());
        job.put("maxAttempts", template.maxAttempts());
        template.timeout().ifPresent(timeout -> job.put("timeout", timeout.toString()));
        template.uniqueKey().ifPresent(key -> job.put("uniqueKey", key));
        template.concurrencyKey().ifPresent(key -> job.put("concurrencyKey", key));
        ObjectNode metadata = job.putObject("metadata");
        new TreeMap<>(template.metadata()).forEach(metadata::put);
        return root;
    }

    /**
     * @throws IllegalStateException naming the recurring job when its stored definition cannot be
     *     read (written by a newer engine, or edited by hand)
     */
    public static RecurringJob decode(String name, JsonNode definition) {
        try {
            JsonNode scheduleNode = required(definition, "schedule");
            Schedule schedule = scheduleNode.has("cron")
                    ? Schedule.cron(text(scheduleNode, "cron"), ZoneId.of(text(scheduleNode, "zone")))
                    : Schedule.every(
                            Duration.parse(text(scheduleNode, "every")), Instant.parse(text(scheduleNode, "anchor")));
            JsonNode job = required(definition, "template");
            JobSpec template = JobSpec.of(text(job, "type"), required(job, "payload"))
                    .withQueue(text(job, "queue"))
                    .withPriority(required(job, "priority").intValue())
                    .withMaxAttempts(required(job, "maxAttempts").intValue());
            if (job.hasNonNull("timeout")) {
                template = template.withTimeout(Duration.parse(text(job, "timeout")));
            }
            if (job.hasNonNull("uniqueKey")) {
                template = template.withUniqueKey(text(job, "uniqueKey"));
            }
            if (job.hasNonNull("concurrencyKey")) {
                template = template.withConcurrencyKey(text(job, "concurrencyKey"));
            }
            var metadata = new LinkedHashMap<String, String>();
            required(job, "metadata")
                    .properties()
                    .forEach(e -> metadata.put(e.getKey(), e.getValue().asText()));
            template = template.withMetadata(Map.copyOf(metadata));
            return RecurringJob.of(name, schedule, template)
                    .withMissed(MissedOccurrences.valueOf(text(definition, "missed")))
                    .withGrace(Duration.parse(text(definition, "grace")))
                    .withRunAllLimit(required(definition, "runAllLimit").intValue());
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "the stored definition of recurring job '" + name + "' cannot be read (" + e.getMessage()
                            + "); save it again with this engine's version, or delete it",
                    e);
        }
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("'" + field + "' is missing");
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        return required(node, field).asText();
    }
}
