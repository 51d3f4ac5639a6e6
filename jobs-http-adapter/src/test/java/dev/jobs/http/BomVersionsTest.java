package dev.jobs.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The BOM a host imports names the JWT library at the version this module is built and tested
 * with: the BOM has no parent, so the two POMs each carry the version, and this keeps them one.
 */
class BomVersionsTest {
    @ParameterizedTest
    @ValueSource(strings = {"nimbus-jose-jwt.version", "tink.version"})
    void theBomManagesTheVersionTheBuildUses(String property) throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        String built = property(Files.readString(root.resolve("pom.xml")), property);
        String managed = property(Files.readString(root.resolve("jobs-bom").resolve("pom.xml")), property);

        assertThat(managed).as("jobs-bom's " + property).isEqualTo(built);
    }

    private static String property(String pom, String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(pom);
        assertThat(m.find()).as(name + " in the POM").isTrue();
        return m.group(1).trim();
    }
}
