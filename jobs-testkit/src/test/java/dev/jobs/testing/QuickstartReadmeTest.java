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

/** Compiles the README's quickstart exactly as written and runs it: the docs cannot rot. */
class QuickstartReadmeTest {
    private static final Pattern QUICKSTART = Pattern.compile(
            "<!-- quickstart:begin[^>]*-->\\s*```java\\n(.*?)```\\s*<!-- quickstart:end -->", Pattern.DOTALL);

    @Test
    void quickstartCompilesAndRunsAJobToSuccess(@TempDir Path dir) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        var matcher = QUICKSTART.matcher(readme);
        assertThat(matcher.find()).as("README has a marked quickstart block").isTrue();
        Path source = dir.resolve("Quickstart.java");
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
            loader.loadClass("Quickstart").getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(original);
        }
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).contains("sending 'Welcome' to ada@example.com", "SUCCEEDED with result \"sent\"");
    }
}
