package dev.jobs.bench;

import dev.jobs.bench.JobsSubject.Backend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** The systems the benchmarks know, by the names {@code --subjects} takes. */
final class Subjects {
    static final Set<String> OURS =
            Set.of("jobs-postgresql", "jobs-postgresql-redis", "jobs-mariadb", "jobs-h2", "jobs-memory");

    private Subjects() {}

    private static Map<String, Supplier<Subject>> all(Servers servers, NodePeer.Runtime node) {
        var all = new LinkedHashMap<String, Supplier<Subject>>();
        all.put("jobs-postgresql", () -> new JobsSubject(Backend.POSTGRESQL, false, servers));
        all.put("jobs-postgresql-redis", () -> new JobsSubject(Backend.POSTGRESQL, true, servers));
        all.put("jobs-mariadb", () -> new JobsSubject(Backend.MARIADB, false, servers));
        all.put("jobs-h2", () -> new JobsSubject(Backend.H2, false, servers));
        all.put("jobs-memory", () -> new JobsSubject(Backend.MEMORY, false, servers));
        all.put("db-scheduler", () -> new DbSchedulerSubject(servers));
        all.put("jobrunr", () -> new JobRunrSubject(servers));
        if (node != null) {
            all.put("graphile-worker", () -> new NodePeer(NodePeer.Kind.GRAPHILE_WORKER, node, servers));
            all.put("pg-boss", () -> new NodePeer(NodePeer.Kind.PG_BOSS, node, servers));
            all.put("bullmq", () -> new NodePeer(NodePeer.Kind.BULLMQ, node, servers));
        }
        return all;
    }

    /** {@code ours}, {@code peers}, or a comma-separated list of names. */
    static Predicate<String> filter(String value) {
        var names = Set.of(value.split(","));
        return name -> names.contains(name)
                || (names.contains("ours") && OURS.contains(name))
                || (names.contains("peers") && !OURS.contains(name));
    }

    static List<Subject> choose(Predicate<String> wanted, Servers servers, Report report) {
        var chosen = new ArrayList<Subject>();
        Map<String, Supplier<Subject>> all = all(servers, NodePeer.Runtime.find(report));
        all.forEach((name, factory) -> {
            if (wanted.test(name)) {
                chosen.add(factory.get());
            }
        });
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("--subjects chose none of " + all.keySet());
        }
        return chosen;
    }
}
