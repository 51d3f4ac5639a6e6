/**
 * The examples: the example server README runs, and the programs its snippets come from. An
 * application module, exporting nothing. Its demo jobs take and give JSON trees, so nothing of it
 * is read reflectively.
 */
module dev.jobs.examples {
    requires dev.jobs.core;
    requires dev.jobs.http;
    requires dev.jobs.queue.redis;
    requires dev.jobs.store.jdbc;
    requires com.zaxxer.hikari;
    requires micrometer.registry.prometheus;
}
