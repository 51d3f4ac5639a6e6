package dev.jobs.store.jdbc;

import java.util.List;
import org.jdbi.v3.core.statement.Query;

/** The database's plan for a statement, for tests that hold a statement to its indexes. */
final class QueryPlans {
    private QueryPlans() {}

    /** Runs {@code explain} (an {@code EXPLAIN …} query), one line per row of its answer. */
    static List<String> planOf(Query explain) {
        return explain.map((rs, ctx) -> {
                    var line = new StringBuilder();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        line.append(rs.getString(i)).append(' ');
                    }
                    return line.toString();
                })
                .list();
    }
}
