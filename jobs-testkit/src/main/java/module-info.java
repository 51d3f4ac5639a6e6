/**
 * Testing with the jobs engine: a virtual clock, running due jobs on the test's thread, AssertJ
 * assertions on jobs, and the conformance suites every store and queue must pass.
 */
module dev.jobs.testing {
    exports dev.jobs.testing;

    // The suites are JUnit tests that other modules extend; JUnit reads their methods reflectively.
    opens dev.jobs.testing to
            org.junit.platform.commons;

    requires transitive dev.jobs.core;
    requires transitive org.junit.jupiter.api;
    requires transitive org.assertj.core;
}
