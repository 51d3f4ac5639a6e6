package dev.jobs.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The served OpenAPI document is valid OpenAPI 3.1 as API tooling reads it: a parser finds no
 * error and resolves every reference. That each route is in it is checked by the contract test.
 */
class OpenApiDocumentTest {
    private static String document() throws Exception {
        try (InputStream in = JobsHttpApi.class.getResourceAsStream("openapi.json")) {
            assertThat(in).as("openapi.json on the class path").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Parses as tooling does, also resolving and checking every internal reference. */
    private static SwaggerParseResult parse(String document) {
        var options = new ParseOptions();
        options.setResolve(true);
        options.setValidateInternalRefs(true);
        return new OpenAPIV3Parser().readContents(document, null, options);
    }

    @Test
    void documentIsValidOpenApi31WithEveryReferenceResolved() throws Exception {
        SwaggerParseResult result = parse(document());

        assertThat(result.getMessages()).as("parser messages").isEmpty();
        assertThat(result.getOpenAPI()).isNotNull();
        assertThat(result.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");
        assertThat(result.getOpenAPI().getPaths()).isNotEmpty();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "\"description\": \"created\",|''",
                "#/components/schemas/Job\"|#/components/schemas/Nowhere\"",
                "\"in\": \"query\"|\"in\": \"nowhere\"",
                "\"type\": \"http\",|\"type\": \"magic\","
            })
    void theParserCatchesEachKindOfMistake(String original, String broken) throws Exception {
        // Proves the check above can fail: each edit breaks the document in one way.
        String document = document();
        assertThat(document).contains(original);

        SwaggerParseResult result = parse(document.replaceFirst(Pattern.quote(original), broken));

        assertThat(result.getMessages())
                .as("messages after replacing %s", original)
                .isNotEmpty();
    }
}
