package dev.jobs.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.jobs.core.Job;
import dev.jobs.core.JobState;
import java.sql.ResultSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The embedding example does what its comments say: order and job commit together, and the job runs. */
class EmbeddingExampleTest {
    @Test
    void theOrderAndItsReceiptJobCommitTogetherAndTheJobRuns() throws Exception {
        var config = new HikariConfig();
        config.setJdbcUrl("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        config.setUsername("sa");
        try (var dataSource = new HikariDataSource(config)) {
            Job done = EmbeddingExample.placeOrderAndSendReceipt(dataSource, "ada@example.com");

            assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(done.result().orElseThrow().asText()).isEqualTo("sent receipt of order 42 to ada@example.com");
            try (var connection = dataSource.getConnection();
                    ResultSet orders = connection.createStatement().executeQuery("SELECT email FROM orders")) {
                assertThat(orders.next()).isTrue();
                assertThat(orders.getString(1)).isEqualTo("ada@example.com");
            }
        }
    }
}
