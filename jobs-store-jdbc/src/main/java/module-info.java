/**
 * The JDBC job store: {@code dev.jobs.store.jdbc.JdbcJobStore} on PostgreSQL, MySQL/MariaDB or H2.
 * Its parts, dialects and statements are package-private; only the store and its builder are API.
 * The JDBC drivers are the host's choice: PostgreSQL's is read for LISTEN/NOTIFY when it is the
 * database, so it is required statically, and the others are found through {@link
 * java.sql.DriverManager}.
 */
module dev.jobs.store.jdbc {
    exports dev.jobs.store.jdbc;

    // In the API: enqueueIn takes a JDBC Connection or a Jdbi Handle, and the builder a DataSource.
    requires transitive dev.jobs.core;
    requires transitive java.sql;
    requires transitive org.jdbi.v3.core;
    requires com.fasterxml.jackson.datatype.jsr310;
    requires com.zaxxer.hikari;
    requires org.slf4j;
    requires static org.postgresql.jdbc;
}
