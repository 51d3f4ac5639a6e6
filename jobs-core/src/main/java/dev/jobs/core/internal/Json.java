package dev.jobs.core.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** The engine's default JSON mapping. Thread-safe: Jackson mappers are, once configured. */
public final class Json {
    private static final ObjectMapper DEFAULT = newMapper();

    private Json() {}

    /**
     * A new mapper with the engine's defaults: java.time support, ISO-8601 instants, and unknown
     * payload fields ignored so that an older handler accepts a payload from a newer producer.
     */
    public static ObjectMapper newMapper() {
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    /** The shared default mapper; never reconfigure it. */
    public static ObjectMapper mapper() {
        return DEFAULT;
    }
}
