package dev.jobs.core.spi;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a store's database says of its own upkeep, for operators: how large its tables are and how
 * many dead rows they carry, how old the oldest snapshot in the database is (vacuum can reclaim
 * no row that died after it was taken), and, when that snapshot is holding vacuum back, who holds
 * it and what to do.
 *
 * @param tables the store's tables
 * @param oldestSnapshotAge how long the oldest open transaction or snapshot has been open; zero when none
 * @param vacuumHeldBack a sentence naming what holds vacuum back and how to end it, when something does
 */
public record StoreHealth(List<Table> tables, Duration oldestSnapshotAge, Optional<String> vacuumHeldBack) {
    public StoreHealth {
        tables = List.copyOf(tables);
        Objects.requireNonNull(oldestSnapshotAge, "oldestSnapshotAge");
        Objects.requireNonNull(vacuumHeldBack, "vacuumHeldBack");
    }

    /**
     * One table, as the database's statistics last counted it.
     *
     * @param name the table's name in the database
     * @param bytes its size on disk with its indexes and TOAST
     * @param liveRows rows visible to some transaction
     * @param deadRows row versions no longer visible that vacuum has not reclaimed yet
     */
    public record Table(String name, long bytes, long liveRows, long deadRows) {
        public Table {
            Objects.requireNonNull(name, "name");
        }
    }
}
