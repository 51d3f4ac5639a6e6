package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import org.junit.jupiter.api.Test;

/** Schema migrations on MariaDb. */
class MariaDbSchemaMigrationTest extends SchemaMigrationTest {
    @Override
    TestDatabase database() {
        return TestDatabase.mariadb();
    }

    /**
     * InnoDB's purge recomputes indexed virtual columns, and after a restart MariaDB 10.11 got that
     * wrong for the claim index, flagging it corrupted so that no claim worked again (V11).
     */
    @Test
    void noIndexedColumnIsVirtual() {
        database.emptyStore(Clock.systemUTC()).close();

        var generated = database.hostJdbi()
                .withHandle(h -> h.createQuery(
                                "SELECT column_name, extra FROM information_schema.columns"
                                        + " WHERE table_schema = DATABASE() AND table_name = :table AND extra LIKE '%GENERATED%'")
                        .bind("table", database.prefix() + "job")
                        .map((rs, ctx) -> rs.getString(1) + " " + rs.getString(2))
                        .list());
        assertThat(generated).containsExactly("claimable STORED GENERATED");
    }
}
