package dev.jobs.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiles the README's runnable examples exactly as written and runs them: the docs cannot rot. */
class QuickstartReadmeTest {
    @Test
    void quickstartCompilesAndRunsAJobToSuccess(@TempDir Path dir) throws Exception {
        List<String> lines = compileAndRun(dir, "quickstart", "Quickstart");
        assertThat(lines).contains("sending 'Welcome' to ada@example.com", "SUCCEEDED with result \"sent\"");
    }

    @Test
    void durableStepsExampleChargesTheCardOnceOverTwoAttempts(@TempDir Path dir) throws Exception {
        List<String> lines = compileAndRun(dir, "durable-steps", "DurableSteps");
        assertThat(lines)
                .containsExactly("SUCCEEDED after 2 attempts: \"shipped, paid by ch-o-42\"", "card charged 1 time");
    }

    /** The README's block marked {@code name}, compiled as {@code className} and run: what it printed. */
    private List<String> compileAndRun(Path dir, String name, String className) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        var matcher = Pattern.compile(
                        "<!-- " + name + ":begin[^>]*-->\\s*```java\\n(.*?)```\\s*<!-- " + name + ":end -->",
                        Pattern.DOTALL)
                .matcher(readme);
        assertThat(matcher.find()).as("README has a block marked %s", name).isTrue();
        Path source = dir.resolve(className + ".java");
        Files.writeString(source, matcher.group(1));

        var compiler = ToolProvider.getSystemJavaCompiler();
        var errors = new ByteArrayOutputStream();
        int status = compiler.run(
                null,
                null,
                errors,
                "-d",
                dir.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                source.toString());
        assertThat(status).as("javac: " + errors).isZero();

        var out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        try (var loader = new URLClassLoader(
                new java.net.URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            loader.loadClass(className).getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(original);
        }
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
