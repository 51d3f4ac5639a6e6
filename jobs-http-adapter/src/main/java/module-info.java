/**
 * The HTTP adapter: the jobs API and dashboard, served by Jetty ({@code dev.jobs.http.JobsHttpServer})
 * or by the host's own server through {@code dev.jobs.http.JobsHttpApi}. The package {@code
 * dev.jobs.http.internal} is the adapter's own and is exported nowhere.
 */
module dev.jobs.http {
    exports dev.jobs.http;

    // Request bodies are records Jackson reads and Hibernate Validator checks, reflectively.
    opens dev.jobs.http.internal to
            com.fasterxml.jackson.databind,
            org.hibernate.validator;

    requires transitive dev.jobs.core;
    requires com.nimbusds.jose.jwt;
    requires jakarta.validation;
    requires org.hibernate.validator;
    requires org.eclipse.jetty.http;
    requires org.eclipse.jetty.io;
    requires org.eclipse.jetty.server;
    requires org.eclipse.jetty.util;
    requires org.slf4j;
}
