package dev.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jobs.core.JobValidationException.FieldError;
import org.junit.jupiter.api.Test;

class JobGraphTest {

    @Test
    void nodesComeInDependencyOrderWhateverOrderTheyWereAdded() {
        JobGraph graph = JobGraph.builder()
                .add("publish", JobSpec.of("p"), "thumbs", "index")
                .add("thumbs", JobSpec.of("t"), "fetch")
                .add("index", JobSpec.of("i"), "fetch")
                .add("fetch", JobSpec.of("f"))
                .build();

        var order = graph.nodes().stream().map(JobGraph.Node::ref).toList();
        assertThat(order.indexOf("fetch")).isLessThan(order.indexOf("thumbs")).isLessThan(order.indexOf("publish"));
        assertThat(order.indexOf("index")).isLessThan(order.indexOf("publish"));
    }

    @Test
    void unknownReferencesAndDuplicatesAreAllNamed() {
        assertThatThrownBy(() -> JobGraph.builder()
                        .add("a", JobSpec.of("t"), "ghost")
                        .add("a", JobSpec.of("t"))
                        .add("b", JobSpec.of("t"), "b")
                        .build())
                .isInstanceOfSatisfying(
                        JobValidationException.class,
                        e -> assertThat(e.errors())
                                .extracting(FieldError::field)
                                .containsExactlyInAnyOrder("nodes[a]", "nodes[a].dependsOn", "nodes[b].dependsOn"));
    }

    @Test
    void cycleIsRejectedNamingItsNodes() {
        assertThatThrownBy(() -> JobGraph.builder()
                        .add("start", JobSpec.of("t"))
                        .add("x", JobSpec.of("t"), "start", "z")
                        .add("y", JobSpec.of("t"), "x")
                        .add("z", JobSpec.of("t"), "y")
                        .build())
                .isInstanceOfSatisfying(
                        JobValidationException.class,
                        e -> assertThat(e.errors())
                                .extracting(FieldError::field)
                                .containsExactlyInAnyOrder(
                                        "nodes[x].dependsOn", "nodes[y].dependsOn", "nodes[z].dependsOn"))
                .hasMessageContaining("cycle");
    }

    @Test
    void emptyGraphIsRejected() {
        assertThatThrownBy(() -> JobGraph.builder().build()).isInstanceOf(JobValidationException.class);
    }
}
