package dev.jobs.bench;

import java.util.Optional;

/**
 * Where the benchmarks find their servers: {@code JOBS_BENCH_POSTGRES_URL} / {@code _USER} /
 * {@code _PASSWORD}, {@code JOBS_BENCH_MARIADB_URL} / …, {@code JOBS_BENCH_REDIS_URL} when set,
 * else the servers on their default local ports. Peers and our engine always share the same ones.
 */
record Servers(Database postgres, Database mariadb, String redisUrl) {

    /** A JDBC database: URL, user, password. */
    record Database(String url, String user, String password) {
        /** Host and port, for peers that take them apart (Node's drivers). */
        String hostAndPort() {
            String rest = url.substring(url.indexOf("//") + 2);
            return rest.substring(0, rest.indexOf('/'));
        }

        /** The database name in the URL, without parameters. */
        String name() {
            String rest = url.substring(url.indexOf("//") + 2);
            String path = rest.substring(rest.indexOf('/') + 1);
            int query = path.indexOf('?');
            return query < 0 ? path : path.substring(0, query);
        }
    }

    static Servers fromEnvironment() {
        return new Servers(
                database("POSTGRES", "jdbc:postgresql://127.0.0.1:5432/test", "postgres"),
                database("MARIADB", "jdbc:mariadb://127.0.0.1:3306/test", "root"),
                env("JOBS_BENCH_REDIS_URL").orElse("redis://127.0.0.1:6379"));
    }

    private static Database database(String name, String url, String user) {
        return new Database(
                env("JOBS_BENCH_" + name + "_URL").orElse(url),
                env("JOBS_BENCH_" + name + "_USER").orElse(user),
                env("JOBS_BENCH_" + name + "_PASSWORD").orElse(""));
    }

    private static Optional<String> env(String name) {
        return Optional.ofNullable(System.getenv(name)).filter(v -> !v.isBlank());
    }
}
