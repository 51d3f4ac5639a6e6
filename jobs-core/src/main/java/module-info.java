/**
 * The jobs engine. {@code dev.jobs.core} is the API a host uses; {@code dev.jobs.core.spi} is what
 * a store or queue implements (it may change between minor versions), and {@code
 * dev.jobs.core.spi.support} the use cases and helpers a store builds on; {@code
 * dev.jobs.core.memory} is the in-memory store. Packages under {@code dev.jobs.core.internal} are
 * exported nowhere.
 */
module dev.jobs.core {
    exports dev.jobs.core;
    exports dev.jobs.core.spi;
    exports dev.jobs.core.spi.support;
    exports dev.jobs.core.memory;
    // Steps a test drives by hand (drain, maintenance); not the engine's API.
    exports dev.jobs.core.hooks to
            dev.jobs.testing;

    // Retry policies are stored as JSON and job specs are validated reflectively.
    opens dev.jobs.core to
            com.fasterxml.jackson.databind,
            org.hibernate.validator;

    requires transitive com.fasterxml.jackson.databind;
    // Transactional enqueue takes the host's JDBC connection.
    requires transitive java.sql;
    requires com.fasterxml.jackson.datatype.jsr310;
    requires jakarta.validation;
    requires org.hibernate.validator;
    requires micrometer.core;
    requires org.slf4j;
}
