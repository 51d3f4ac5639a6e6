package dev.jobs.core;

import dev.jobs.core.JobValidationException.FieldError;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A set of jobs created together, whose nodes depend on each other by local references: fan-out,
 * fan-in, diamonds. {@link JobEngine#graph} creates every node or none. A node may also depend on
 * existing jobs through its spec's {@link JobSpec#withDependsOn ids}. Immutable once built.
 *
 * <pre>{@code
 * JobGraph graph = JobGraph.builder()
 *     .add("fetch", JobSpec.of("feed.fetch", feed))
 *     .add("thumbs", JobSpec.of("image.thumbs"), "fetch")
 *     .add("index", JobSpec.of("search.index"), "fetch")
 *     .add("publish", JobSpec.of("feed.publish"), "thumbs", "index")
 *     .build();
 * }</pre>
 */
public final class JobGraph {
    /**
     * One node.
     *
     * @param ref the node's name inside this graph
     * @param spec what the node runs
     * @param dependsOnRefs the nodes it waits for
     */
    public record Node(String ref, JobSpec spec, List<String> dependsOnRefs) {
        public Node {
            Objects.requireNonNull(ref, "ref");
            Objects.requireNonNull(spec, "spec");
            dependsOnRefs = List.copyOf(dependsOnRefs);
        }
    }

    private final List<Node> nodes;

    private JobGraph(List<Node> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The nodes, each after every node it depends on (a topological order). */
    public List<Node> nodes() {
        return nodes;
    }

    /** Collects nodes; {@link #build()} checks the references. Not thread-safe. */
    public static final class Builder {
        private final Map<String, Node> nodes = new LinkedHashMap<>();
        private final List<FieldError> errors = new ArrayList<>();

        private Builder() {}

        /** Adds a node named {@code ref} that runs after the nodes named in {@code dependsOnRefs}. */
        public Builder add(String ref, JobSpec spec, String... dependsOnRefs) {
            Objects.requireNonNull(ref, "ref");
            Objects.requireNonNull(spec, "spec");
            if (ref.isBlank()) {
                errors.add(new FieldError("nodes[]", "a node's ref must not be blank"));
            } else if (nodes.containsKey(ref)) {
                errors.add(new FieldError("nodes[" + ref + "]", "ref is used by two nodes"));
            } else {
                nodes.put(ref, new Node(ref, spec, List.of(dependsOnRefs)));
            }
            return this;
        }

        /**
         * The graph, its nodes in dependency order.
         *
         * @throws JobValidationException naming every unknown reference, duplicate ref and cycle
         */
        public JobGraph build() {
            var problems = new ArrayList<>(errors);
            if (nodes.isEmpty()) {
                problems.add(new FieldError("nodes", "a graph needs at least one node"));
            }
            if (nodes.size() > JobLimits.MAX_BATCH_SIZE) {
                problems.add(
                        new FieldError("nodes", "a graph may have at most " + JobLimits.MAX_BATCH_SIZE + " nodes"));
            }
            for (Node node : nodes.values()) {
                for (String dependency : node.dependsOnRefs()) {
                    if (!nodes.containsKey(dependency)) {
                        problems.add(new FieldError(
                                "nodes[" + node.ref() + "].dependsOn",
                                "refers to '" + dependency + "', which is not a node of this graph"));
                    } else if (dependency.equals(node.ref())) {
                        problems.add(new FieldError(
                                "nodes[" + node.ref() + "].dependsOn", "a node cannot depend on itself"));
                    }
                }
            }
            if (!problems.isEmpty()) {
                throw new JobValidationException(problems);
            }
            return new JobGraph(topologicalOrder());
        }

        /** Kahn's algorithm; whatever is left over lies on a cycle and is reported by name. */
        private List<Node> topologicalOrder() {
            var waitingOn = new HashMap<String, Integer>();
            var dependents = new HashMap<String, List<String>>();
            for (Node node : nodes.values()) {
                var distinct = new LinkedHashSet<>(node.dependsOnRefs());
                waitingOn.put(node.ref(), distinct.size());
                distinct.forEach(d ->
                        dependents.computeIfAbsent(d, k -> new ArrayList<>()).add(node.ref()));
            }
            var ready = new ArrayDeque<String>();
            nodes.keySet().stream().filter(ref -> waitingOn.get(ref) == 0).forEach(ready::add);
            var ordered = new ArrayList<Node>();
            while (!ready.isEmpty()) {
                String ref = ready.poll();
                ordered.add(nodes.get(ref));
                for (String dependent : dependents.getOrDefault(ref, List.of())) {
                    if (waitingOn.merge(dependent, -1, Integer::sum) == 0) {
                        ready.add(dependent);
                    }
                }
            }
            if (ordered.size() < nodes.size()) {
                Set<String> onCycle = new LinkedHashSet<>(nodes.keySet());
                ordered.forEach(n -> onCycle.remove(n.ref()));
                throw new JobValidationException(onCycle.stream()
                        .map(ref -> new FieldError(
                                "nodes[" + ref + "].dependsOn",
                                "is on, or waits on, a dependency cycle among " + onCycle))
                        .toList());
            }
            return ordered;
        }
    }
}
