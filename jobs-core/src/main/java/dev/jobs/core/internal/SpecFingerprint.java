package dev.jobs.core.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.JobSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A digest of what a {@link JobSpec} asks for, so that an idempotency key can tell a repeated
 * request from a different one. Equal specs give equal fingerprints whatever the order of their
 * JSON properties, metadata or dependencies. The retry policy is left out: it is Java code, not data.
 * A delay counts as the delay, not the instant it led to, so a repeat a second later still matches.
 */
public final class SpecFingerprint {
    private static final ObjectMapper CANONICAL =
            JsonMapper.builder().enable(JsonNodeFeature.WRITE_PROPERTIES_SORTED).build();

    private SpecFingerprint() {}

    /** The SHA-256 of the spec's canonical JSON, as 64 hex digits. */
    public static String of(JobSpec spec) {
        ObjectNode node = CANONICAL.createObjectNode();
        node.put("type", spec.type());
        node.put("queue", spec.queue());
        node.set("payload", spec.payload());
        node.put("priority", spec.priority());
        node.put("runAt", spec.runAt().map(Instant::toString).orElse(null));
        node.put("delay", spec.delay().map(Duration::toString).orElse(null));
        node.put("maxAttempts", spec.maxAttempts());
        node.put("timeout", spec.timeout().map(Duration::toString).orElse(null));
        var dependsOn = node.putArray("dependsOn");
        spec.dependsOn().stream().map(UUID::toString).sorted().forEach(dependsOn::add);
        node.put("onDependencyFailure", spec.onDependencyFailure().name());
        node.put("uniqueKey", spec.uniqueKey().orElse(null));
        // Only when set, so that keys stored before jobs had concurrency keys keep their fingerprints.
        spec.concurrencyKey().ifPresent(key -> node.put("concurrencyKey", key));
        node.set("metadata", CANONICAL.valueToTree(new TreeMap<>(spec.metadata())));
        try {
            byte[] canonical = CANONICAL.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a validated spec always serialises", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
